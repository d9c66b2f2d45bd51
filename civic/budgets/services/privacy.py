"""Personal data in budgets: the export a person downloads, and what erasing
an account does to their projects and ballots."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core.export import iso
from civic.extensions import db

from ..models import Ballot, Project


def export_user_data(user) -> dict:
    """A person's projects and ballots, for the privacy export."""
    projects = db.session.scalars(sa.select(Project).where(Project.author_id == user.id)).all()
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.user_id == user.id)).all()
    return {
        "projects": [{"id": p.id, "title": p.title, "created_at": iso(p.created_at)} for p in projects],
        "ballots": [{"envelope_id": b.envelope_id, "project_ids": b.project_ids, "points": b.points,
                     "channel": b.channel.value, "updated_at": iso(b.updated_at)} for b in ballots],
    }


def erase_user_data(user) -> None:
    """Ballots stay counted but lose the link to the person."""
    db.session.execute(sa.update(Ballot).where(Ballot.user_id == user.id).values(user_id=None))
    db.session.flush()
