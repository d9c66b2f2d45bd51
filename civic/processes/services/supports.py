"""Supports: one per person per proposal, within the process's limit; the
counter is kept in the same transaction, and reaching the threshold queues
the proposal for an official answer."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import User
from civic.accounts.verification import requirement_refusal
from civic.core import audit, follows, phases
from civic.core.errors import CivicError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.permissions import is_contributor, is_user, require, require_login
from civic.extensions import db
from civic.processes import permissions
from civic.processes.models import Process, Proposal, Support
from civic.processes.services.thresholds import check_threshold


def support_usage(user, process: Process) -> tuple[int, int | None]:
    """``(supports used in this process, limit or None)`` for "3 of 10 supports used"."""
    if not is_user(user):
        return 0, process.support_limit
    used = db.session.scalar(sa.select(sa.func.count()).select_from(Support).where(
        Support.process_id == process.id, Support.user_id == user.id))
    return used, process.support_limit


def supported_ids(user, proposal_ids: list[int]) -> set[int]:
    """Which of these proposals ``user`` supports (one query)."""
    if not is_user(user) or not proposal_ids:
        return set()
    return set(db.session.scalars(sa.select(Support.proposal_id).where(
        Support.user_id == user.id, Support.proposal_id.in_(proposal_ids))).all())


def support_refusal(user, proposal: Proposal) -> CivicError | None:
    """Why ``user`` cannot support ``proposal`` now (None if they can): the
    page shows the message, the service raises the error."""
    process = proposal.process
    if not proposal.is_open:
        return InvalidTransition(_("This proposal no longer collects supports."))
    if not phases.allows("process", process.id, "support"):
        return InvalidTransition(_("Supports are not collected in this phase of the process."))
    if is_user(user) and not permissions.is_verified_for_process(user, process):
        return PermissionDenied(_("Only verified residents of the district can support proposals in this process."))
    refusal = requirement_refusal(user, "process", process.id, "support")
    if refusal is not None:
        return PermissionDenied(refusal.message)
    return None


def support_proposal(actor, proposal: Proposal, notify: bool = False) -> Support:
    """Support a proposal: one per person (unique constraint), within the
    process's limit, for verified residents when the process requires it.

    The proposal's counter is incremented by an SQL expression in the same
    transaction: proposals are not a viral hot path (petitions have the
    batched tally), and an exact count at once lets the threshold be checked
    here and "most supported" be an indexed column.
    """
    require(is_contributor(actor))
    if not permissions.can_view_proposal(actor, proposal):
        raise NotFound()
    refusal = support_refusal(actor, proposal)
    if refusal is not None:
        raise refusal
    process = proposal.process
    # Serialise this person's supports (PostgreSQL row lock; SQLite has one
    # writer at a time anyway) so two parallel requests cannot exceed the limit.
    db.session.execute(sa.select(User.id).where(User.id == actor.id).with_for_update())
    if db.session.scalar(sa.select(Support.id).where(Support.proposal_id == proposal.id,
                                                     Support.user_id == actor.id)) is not None:
        raise ValidationError(_("You already support this proposal."))
    used, limit = support_usage(actor, process)
    if limit is not None and used >= limit:
        raise ValidationError(_("You have used all %(n)d of your supports in this process. Withdraw one to support "
                                "another proposal.", n=limit))
    s = Support(proposal_id=proposal.id, process_id=process.id, user_id=actor.id, notify=bool(notify))
    try:
        with db.session.begin_nested():
            db.session.add(s)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ValidationError(_("You already support this proposal.")) from None
    _add_to_count(proposal, 1)
    audit.record(actor, "proposal.supported", "proposal", proposal.id)
    check_threshold(proposal)
    if notify:
        # Following mails its news: a supporter who declined news on the same form does not follow.
        follows.auto_follow(actor, "proposal", proposal.id)
    return s


def withdraw_support(actor, proposal: Proposal) -> None:
    """Take a support back, while the phase still collects supports."""
    require_login(actor)
    require(permissions.can_withdraw_support(actor, proposal))
    s = db.session.scalar(sa.select(Support).where(Support.proposal_id == proposal.id, Support.user_id == actor.id))
    if s is None:
        raise ValidationError(_("You do not support this proposal."))
    if not phases.allows("process", proposal.process_id, "support") or not proposal.is_open:
        raise InvalidTransition(_("Supports can no longer be withdrawn: the support phase is over."))
    db.session.delete(s)
    db.session.flush()
    _add_to_count(proposal, -1)
    audit.record(actor, "proposal.support_withdrawn", "proposal", proposal.id)


def _add_to_count(proposal: Proposal, delta: int) -> None:
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(
        support_count=Proposal.support_count + delta).execution_options(synchronize_session=False))
    db.session.refresh(proposal, ["support_count"])
