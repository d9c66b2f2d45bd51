"""Factories for moderation's main objects, made through the services as a
resident and moderators would (reports, decisions, appeals), each committed.
Items are the fake kind's (``make_item`` in conftest); people come from
``tests/factories.py``."""

from __future__ import annotations

import sqlalchemy as sa

from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import Appeal, Decision, ModerationCase, Report

KIND = "fakeitem"
STATEMENT = "Advertising, which the charter forbids."


def report(item, reporter, reason: str = "spam", details: str | None = None, kind: str = KIND) -> Report:
    """``reporter`` reports ``item`` (details are required for "other")."""
    if details is None:
        details = "details" if reason == "other" else ""
    made = services.report_content(reporter, kind, item.id, reason, details)
    db.session.commit()
    return made


def reports(item, reporters, reason: str = "spam") -> list[Report]:
    """Each of ``reporters`` reports ``item``, one after the other."""
    return [report(item, person, reason) for person in reporters]


def case(item, kind: str = KIND) -> ModerationCase | None:
    """The item's latest case (read again from the database)."""
    db.session.expire_all()
    return db.session.scalar(sa.select(ModerationCase).where(ModerationCase.kind == kind,
                                                             ModerationCase.object_id == item.id)
                             .order_by(ModerationCase.id.desc()))


def decision(moderator, item, decision_type: str = "hide", reason_code: str = "spam",
             statement: str = STATEMENT, redacted_text: str | None = None, *, reporter=None) -> Decision:
    """``moderator`` decides the item's case (``reporter`` reports it first
    when given; otherwise it must have an open case)."""
    if reporter is not None:
        report(item, reporter, reason_code or "spam")
    made = services.decide_case(moderator, case(item).id, decision_type, reason_code, statement, redacted_text)
    db.session.commit()
    return made


def appeal(person, decision_: Decision, text: str = "Please have another look at my message.") -> Appeal:
    """The person a decision is about appeals it."""
    made = services.appeal_decision(person, decision_.id, text)
    db.session.commit()
    return made
