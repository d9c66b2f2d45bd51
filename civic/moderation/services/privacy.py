"""A person's moderation data: what "my data" exports, and what deleting the
account erases (the figures and the audit trail stay, without the name)."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core.export import iso
from civic.extensions import db
from civic.moderation.models import Appeal, Decision, ModerationCase, Report


def export_personal_data(user) -> dict:
    """The reports a person made and the decisions about them, with appeals."""
    reports = db.session.scalars(sa.select(Report).where(Report.reporter_id == user.id).order_by(Report.id)).all()
    decisions = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == user.id)
                                   .order_by(Decision.id)).all()
    return {
        "reports_made": [{"kind": r.kind, "id": r.object_id, "reason": r.reason.value, "details": r.details,
                          "at": iso(r.created_at)} for r in reports],
        "decisions_about_me": [{"kind": d.kind, "id": d.object_id, "decision": d.type.value,
                                "reason": d.reason_code.value if d.reason_code else None, "statement": d.statement,
                                "at": iso(d.created_at),
                                "appeal": ({"text": d.appeal.text, "status": d.appeal.status.value,
                                            "statement": d.appeal.statement} if d.appeal else None)}
                               for d in decisions],
    }


def erase_personal_data(user) -> None:
    """Account deletion: reports and decisions stay (they are the public
    figures and the audit trail) but no longer point at the person, and the
    texts they wrote (report details, appeals) are erased."""
    db.session.execute(sa.update(Report).where(Report.reporter_id == user.id)
                       .values(reporter_id=None, details=None))
    db.session.execute(sa.update(Appeal).where(Appeal.appellant_id == user.id)
                       .values(appellant_id=None, text=""))
    db.session.execute(sa.update(Decision).where(Decision.subject_user_id == user.id).values(subject_user_id=None))
    db.session.execute(sa.update(ModerationCase).where(ModerationCase.author_id == user.id).values(author_id=None))
    db.session.flush()
