"""Factories for budgets' main objects. Editions, envelopes, phases and
ballots go through the real services (as residents and officials make them);
projects are feasible rows, ready for the ballot, unless told otherwise.
People and districts come from ``tests/factories.py``."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from civic.budgets import services
from civic.budgets.models import Ballot, BudgetEdition, Envelope, Project, ProjectStatus
from civic.core import phases
from civic.core.time import utcnow
from civic.extensions import db

# What each ballot rule needs to be valid, unless a test says otherwise.
RULE_DEFAULTS = {"approval": {"min_choices": 1, "max_choices": 2}, "knapsack": {},
                 "cumulative": {"points_total": 5, "points_max_per_project": 3}, "ranking": {"rank_max": 2}}


def edition(official, *, rule: str = "approval", counting: str = "greedy", phase: str | None = "voting",
            envelopes=((None, 100_000),), title: str = "Budget participatif 2027",
            description: str = "Un **budget** pour tous.", admin=None, published: bool = True, total_amount: int | None = None,
            **params) -> BudgetEdition:
    """An edition created by ``official`` with every phase dated around now:
    ``phase`` started a day ago and lasts ten days, the others before and after
    it. ``envelopes`` are ``(district or None, amount)``; the total is their sum.
    With ``admin``, ``phase`` is also entered (as the periodic job would)."""
    now = utcnow()
    here = services.PHASE_CODES.index(phase or "information")
    # Phases start as soon as their date passes (``phases.catch_up``), and voting
    # freezes the envelopes: set them up with every phase in the future, then
    # bring the dates back to around now.
    later = timedelta(days=3650)
    made = services.create_edition(
        official, title=title, description=description, total_amount=total_amount or sum(a for _d, a in envelopes),
        rules=services.RuleParams(vote_rule=rule, selection_rule=counting, **dict(RULE_DEFAULTS[rule], **params)),
        phase_starts={code: later + now + timedelta(days=10 * (j - here) - 1)
                      for j, code in enumerate(services.PHASE_CODES)})
    for district, amount in envelopes:
        services.set_envelope(official, made, getattr(district, "id", district), amount)
    if published and envelopes:
        services.publish_edition(official, made)
    for row in db.session.scalars(sa.select(phases.Phase).where(
            phases.Phase.owner_kind == services.KIND, phases.Phase.owner_id == made.id)):
        row.starts_at -= later
        row.ends_at = row.ends_at and row.ends_at - later
    db.session.commit()
    if admin is not None and phase:
        enter_phase(admin, made, phase)
    return made


def enter_phase(admin, edition: BudgetEdition, code: str, reason: str = "test") -> None:
    """Make ``code`` the current phase by hand (its hook runs: rules freeze, results computed)."""
    phase = next(p for p in phases.phases_for(services.KIND, edition.id) if p.code == code)
    services.move_phase(admin, edition, phase.id, reason)
    db.session.commit()


def project(edition: BudgetEdition, envelope: Envelope, title: str = "Bancs", cost: int = 30_000, *,
            status: ProjectStatus = ProjectStatus.FEASIBLE, author=None, description: str | None = None) -> Project:
    """A project row of ``envelope``, reviewed at ``cost`` (feasible: on the
    ballot) or, with ``status=SUBMITTED``, awaiting review at that estimate."""
    text = description or f"{title} pour le quartier"
    p = Project(edition_id=edition.id, envelope_id=envelope.id, title=title, description=text,
                description_html=f"<p>{text}</p>", estimated_cost=cost,
                final_cost=None if status == ProjectStatus.SUBMITTED else cost, status=status,
                author_id=getattr(author, "id", None))
    db.session.add(p)
    db.session.commit()
    return p


def ballot(voter, envelope: Envelope, projects, points=None) -> Ballot:
    """``voter`` casts a ballot for ``projects`` (rows or ids) through the
    service, as the ballot page does (the confirmation mail needs a request)."""
    ids = [getattr(p, "id", p) for p in projects]
    with current_app.test_request_context():
        made = services.cast_ballot(voter, envelope, ids, points)
        db.session.commit()
    return made
