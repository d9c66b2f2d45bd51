"""Appeals: the person a decision is about appeals it once; a moderator
other than the one who decided confirms or reverses it, and reversing
undoes its effects. Also the person's own list of decisions about them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, selectinload

from civic.accounts.models import User
from civic.core import audit, content
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import require, require_login
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.transitions import compare_and_set
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.moderation import permissions
from civic.moderation.models import APPEAL_FLOW, Appeal, AppealStatus, Decision, DecisionType, HoldCause
from civic.moderation.services.blocks import lift_block
from civic.moderation.services.common import (
    MIN_STATEMENT,
    can_mail,
    clean_statement,
    describe,
    gather,
    insert_or_nothing,
    item,
    item_title,
    load_items,
)
from civic.moderation.services.holds import release_holds

MAX_APPEAL = 4000


def appeal_decision(actor, decision_id: int, text: str) -> Appeal:
    """The person a decision is about appeals it, once, with a text. Blocked
    people may appeal (a block is itself appealable)."""
    require_login(actor)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.subject_user_id != actor.id:
        raise NotFound()
    refusal = permissions.appeal_refusal(decision)
    if refusal:
        raise ValidationError(refusal)
    text = clean_text(text, multiline=True)
    if len(text) < MIN_STATEMENT:
        raise ValidationError(fields={"text": _("Explain why the decision should change in at least %(n)d "
                                                "characters.", n=MIN_STATEMENT)})
    if len(text) > MAX_APPEAL:
        raise ValidationError(fields={"text": _("Use at most %(n)d characters.", n=MAX_APPEAL)})
    appeal_id = insert_or_nothing(Appeal, decision_id=decision.id, appellant_id=actor.id, text=text,
                                  status=AppealStatus.PENDING, created_at=utcnow())
    if appeal_id is None:
        raise ValidationError(_("You have already appealed this decision."))
    appeal = db.session.get(Appeal, appeal_id)
    db.session.expire(decision, ["appeal"])
    audit.record(actor, "moderation.appealed", decision.kind, decision.object_id, decision_id=decision.id,
                 appeal_id=appeal.id)
    return appeal


def get_appeal(actor, appeal_id: int) -> Appeal:
    """An appeal in the actor's districts (404 if there is none, 403 if not theirs)."""
    require_login(actor)
    require(permissions.can_view_queue(actor))  # moderators only, before the lookup
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound()
    require(permissions.can_review_appeal(actor, appeal))
    return appeal


def pending_appeals(actor, limit: int = 50) -> list[dict]:
    """Appeals waiting in the actor's districts, oldest first, with what they
    are about (a constant number of queries)."""
    require_login(actor)
    require(permissions.can_view_queue(actor))
    appeals = db.session.scalars(
        sa.select(Appeal).join(Decision, Decision.id == Appeal.decision_id)
        .where(Appeal.status == AppealStatus.PENDING, permissions.moderated_scope(actor, Decision.district_id))
        .order_by(Appeal.created_at, Appeal.id).limit(limit)
        .options(contains_eager(Appeal.decision))).all()
    items = load_items((a.decision.kind, a.decision.object_id) for a in appeals if a.decision.kind != "user")
    return [{"appeal": a, "decision": a.decision, "title": decision_title(a.decision, items)} for a in appeals]


def decision_title(decision: Decision, items: dict) -> str:
    """What a decision is about, in a few words (``items`` from ``load_items``)."""
    if decision.kind == "user":
        user = db.session.get(User, decision.object_id)
        return _("Account of %(name)s", name=user.display_name if user else "—")
    try:
        return item_title(content.get_kind(decision.kind), items.get((decision.kind, decision.object_id)))
    except NotFound:
        return _("Content no longer available")


def appeal_detail(actor, appeal_id: int) -> dict:
    """Everything a moderator needs to decide one appeal."""
    appeal = get_appeal(actor, appeal_id)
    d = appeal.decision
    items = load_items([(d.kind, d.object_id)]) if d.kind != "user" else {}
    about = describe(d.kind, d.object_id, items.get((d.kind, d.object_id))) if d.kind != "user" else None
    return {"appeal": appeal, "decision": d, "title": decision_title(d, items), "item": about,
            "moderator": db.session.get(User, d.moderator_id) if d.moderator_id else None}


def own_decision(actor, decision_id: int) -> dict:
    """A decision about the actor (their content or account), for the appeal page."""
    require_login(actor)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.subject_user_id != actor.id:
        raise NotFound()
    items = load_items([(decision.kind, decision.object_id)]) if decision.kind != "user" else {}
    return {"decision": decision, "title": _("Your account") if decision.kind == "user"
            else decision_title(decision, items)}


def decide_appeal(actor, appeal_id: int, outcome, statement: str) -> Appeal:
    """A moderator other than the one who decided confirms or reverses the
    decision; reversing undoes its effects (item shown again, original text
    back, block lifted). The outcome is mailed with its reasons. Decided once
    (pending → upheld or overturned, :data:`APPEAL_FLOW`): a second moderator
    gets :class:`InvalidTransition`."""
    appeal = get_appeal(actor, appeal_id)
    require(permissions.can_decide_appeal(actor, appeal))
    decision = appeal.decision
    try:
        status = AppealStatus(outcome)
    except ValueError:
        status = None
    errors = {}
    if status not in APPEAL_FLOW[AppealStatus.PENDING]:
        errors["outcome"] = _("Choose whether to confirm or reverse the decision.")
    statement = gather(errors, clean_statement, statement)
    if errors:
        raise ValidationError(fields=errors)
    now = utcnow()
    if not compare_and_set(appeal, APPEAL_FLOW, status, attr="status", decided_at=now, decided_by_id=actor.id,
                           statement=statement):
        raise InvalidTransition(_("Another moderator decided this appeal first. Your decision was not recorded."))
    if status == AppealStatus.OVERTURNED:
        _reverse(decision, actor, now)
    audit.record(actor, "moderation.appeal_decided", decision.kind, decision.object_id, reason=statement,
                 outcome=status.value, appeal_id=appeal.id, decision_id=decision.id)
    appellant = db.session.get(User, appeal.appellant_id) if appeal.appellant_id else None
    if can_mail(appellant):
        kind_title = _("your account") if decision.type == DecisionType.BLOCK else None
        if kind_title is None:
            kind_title = item_title(*item(decision.kind, decision.object_id))
        queue_mail(appellant.email, lambda: _("The outcome of your appeal"), "moderation/appeal_outcome",
                   {"user": appellant, "appeal": appeal, "decision": decision, "title": kind_title,
                    "overturned": status == AppealStatus.OVERTURNED, "url": absolute_url("moderation.mine")},
                   user=appellant, dedupe_key=f"moderation:appeal:{appeal.id}")
    db.session.flush()
    return appeal


def _reverse(decision: Decision, actor, now: datetime) -> None:
    decision.reversed_at = now
    if decision.type == DecisionType.HIDE:
        release_holds(HoldCause.DECISION, decision.id, now)
    elif decision.type == DecisionType.REDACT:
        kind, obj = item(decision.kind, decision.object_id)
        if obj is not None and kind.hooks.get("redact") and decision.original_text is not None:
            kind.hooks["redact"](obj, decision.original_text)
    elif decision.type == DecisionType.BLOCK:
        lift_block(decision, actor, _("Block reversed on appeal"))
    db.session.flush()


def my_decisions(actor) -> list[dict]:
    """Decisions about the actor's contributions and account, newest first."""
    require_login(actor)
    decisions = db.session.scalars(sa.select(Decision).where(Decision.subject_user_id == actor.id)
                                   .order_by(Decision.created_at.desc(), Decision.id.desc())
                                   .options(selectinload(Decision.appeal))).all()
    items = load_items((d.kind, d.object_id) for d in decisions if d.kind != "user")
    return [{"decision": d, "title": _("Your account") if d.kind == "user" else decision_title(d, items)}
            for d in decisions]
