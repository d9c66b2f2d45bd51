"""Blocks: a person may still log in, read and appeal, not contribute;
everything they wrote is hidden by holds of the block, which lifting it (by
a moderator, on appeal, or at its end) releases."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import User
from civic.core import audit, content
from civic.core.errors import NotFound, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import is_admin, require, require_login
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.moderation import permissions
from civic.moderation.models import Decision, DecisionType, HoldCause, ModerationCase, Report
from civic.moderation.services.common import can_mail, clean_statement, gather, parse_reason
from civic.moderation.services.holds import add_hold, release_holds

# Permanent blocks: a date no one will live to see, so ``User.is_blocked`` needs no special case.
FAR_FUTURE = datetime(9999, 12, 31)


def active_block(user_id: int) -> Decision | None:
    return db.session.scalar(sa.select(Decision).where(
        Decision.type == DecisionType.BLOCK, Decision.subject_user_id == user_id, Decision.lifted_at.is_(None),
        Decision.block_until > utcnow()).order_by(Decision.id.desc()))


def ended_blocks() -> list[Decision]:
    """Blocks whose end has passed but that are not lifted yet."""
    return db.session.scalars(sa.select(Decision).where(
        Decision.type == DecisionType.BLOCK, Decision.lifted_at.is_(None), Decision.block_until <= utcnow())).all()


def block_user(actor, user_id: int, days: int | None, reason_code, statement: str) -> Decision:
    """Block a person for ``days`` (None: permanently). They can still log in,
    read and appeal, not contribute; everything they wrote is hidden (and
    recorded as hidden by this block, so unblocking restores exactly that).
    Blocks are platform-wide: only moderators without district limits."""
    require_login(actor)
    require(permissions.can_block_user(actor))
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    if user.id == actor.id:
        raise ValidationError(_("You cannot block yourself."))
    if is_admin(user):
        raise ValidationError(_("Administrators cannot be blocked: ask another administrator to revoke the role first."))
    if active_block(user.id) is not None:
        raise ValidationError(_("This person is already blocked."))
    errors = {}
    if days is not None and not (1 <= days <= 3650):
        errors["duration"] = _("Choose a duration from the list.")
    code = gather(errors, parse_reason, reason_code, "reason_code")
    statement = gather(errors, clean_statement, statement)
    if errors:
        raise ValidationError(fields=errors)
    now = utcnow()
    until = FAR_FUTURE if days is None else now + timedelta(days=days)
    decision = Decision(kind="user", object_id=user.id, district_id=None, type=DecisionType.BLOCK,
                        reason_code=code, statement=statement, moderator_id=actor.id, subject_user_id=user.id,
                        created_at=now, block_until=until)
    db.session.add(decision)
    db.session.flush()
    user.blocked_until, user.blocked_reason = until, statement
    hidden = 0
    for kind in content.kinds():
        authored_by = kind.hooks.get("authored_by")
        if authored_by is None or kind.hooks.get("set_hidden") is None:
            continue
        for obj in authored_by(user.id):
            add_hold(kind.name, obj.id, HoldCause.BLOCK, decision.id, now)
            hidden += 1
    audit.record(actor, "moderation.blocked", "user", user.id, reason=statement, decision_id=decision.id,
                 reason_code=code.value, until=None if days is None else until.isoformat(), items=hidden)
    if can_mail(user):
        queue_mail(user.email, lambda: _("Your account is blocked"), "moderation/blocked",
                   {"user": user, "decision": decision, "permanent": days is None,
                    "appeal_url": absolute_url("moderation.appeal", decision_id=decision.id)},
                   user=user, dedupe_key=f"moderation:blocked:{decision.id}")
    db.session.flush()
    return decision


def lift_block(decision: Decision, actor, reason: str | None, *, expired: bool = False) -> bool:
    """Lift a block once (conditional UPDATE) and restore what it hid; False
    if it was already lifted. ``actor`` None: it ended by itself."""
    table = Decision.__table__
    now = utcnow()
    lifted = db.session.execute(table.update().where(table.c.id == decision.id, table.c.lifted_at.is_(None))
                                .values(lifted_at=now, lifted_by_id=getattr(actor, "id", None))).rowcount
    db.session.expire(decision)
    if not lifted:
        return False
    user = db.session.get(User, decision.subject_user_id) if decision.subject_user_id else None
    if user is not None and active_block(user.id) is None:
        user.blocked_until, user.blocked_reason = None, None
    restored = release_holds(HoldCause.BLOCK, decision.id, now)
    audit.record(actor, "moderation.block_expired" if expired else "moderation.unblocked", "user",
                 decision.subject_user_id, reason=reason, decision_id=decision.id, items=len(restored))
    db.session.flush()
    return True


def unblock_user(actor, user_id: int, reason: str) -> Decision:
    """Lift a person's block before its end; their content hidden by the block
    comes back (content hidden for other reasons stays hidden)."""
    require_login(actor)
    require(permissions.can_block_user(actor))
    decision = active_block(user_id)
    if decision is None:
        raise ValidationError(_("This person is not blocked."))
    reason = clean_text(reason)
    if not reason:
        raise ValidationError(fields={"reason": _("Say why the block is lifted.")})
    lift_block(decision, actor, reason)
    user = db.session.get(User, user_id)
    if can_mail(user):
        queue_mail(user.email, lambda: _("Your account is no longer blocked"), "moderation/unblocked",
                   {"user": user, "reason": reason}, user=user, dedupe_key=f"moderation:unblocked:{decision.id}")
    return decision


def person_summary(actor, user_id: int) -> dict:
    """A person's moderation history, for moderators: the decisions about
    them and the reports they made, limited to the districts the actor
    moderates (``permissions.moderated_scope``: a district moderator sees
    neither another district's items nor platform-wide blocks; their current
    status, blocked or not, is shown to all)."""
    require_login(actor)
    require(permissions.can_view_queue(actor))
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    decisions = db.session.scalars(sa.select(Decision).where(
        Decision.subject_user_id == user.id, permissions.moderated_scope(actor, Decision.district_id))
        .order_by(Decision.created_at.desc(), Decision.id.desc())).all()
    reports_made = db.session.scalar(
        sa.select(sa.func.count()).select_from(Report).join(ModerationCase, ModerationCase.id == Report.case_id)
        .where(Report.reporter_id == user.id, permissions.moderated_scope(actor, ModerationCase.district_id)))
    return {"user": user, "decisions": decisions, "block": active_block(user.id), "reports_made": reports_made,
            "scoped": not permissions.moderates_everywhere(actor)}
