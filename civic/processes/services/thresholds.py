"""Support thresholds and the officials' queue: when a proposal is owed an
official answer, and by when."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa

from civic.accounts.models import Verification
from civic.core import audit, events
from civic.core.time import utcnow
from civic.extensions import db
from civic.processes.models import OPEN_STATES, Process, Proposal, ThresholdType
from civic.processes.services.mailing import mail_threshold_reached


def verified_residents(district_id: int | None) -> int:
    """Active resident verifications of the district (all districts when None).

    Counted when the threshold is evaluated, so a percentage follows the
    verified population as it grows; a proposal queued earlier stays queued.
    """
    # Residence verifications (with a district): one per person; the other
    # methods of the registry (roll, letter) do not name a district.
    stmt = sa.select(sa.func.count()).select_from(Verification).where(Verification.revoked_at.is_(None),
                                                                      Verification.district_id.is_not(None))
    if district_id is not None:
        stmt = stmt.where(Verification.district_id == district_id)
    return db.session.scalar(stmt)


def threshold_needed(process: Process) -> int | None:
    """Supports needed to enter the officials' queue now; None when there is no threshold."""
    if process.threshold_type == ThresholdType.COUNT:
        return process.threshold_value
    if process.threshold_type == ThresholdType.PERCENT:
        residents = verified_residents(process.district_id)
        return max(1, math.ceil(residents * process.threshold_value / 10000))
    return None


def queue_for_answer(proposal: Proposal, when: datetime | None = None) -> None:
    """Put the proposal in the officials' queue: its answer is due
    ``answer_delay_days`` after ``when`` (now by default)."""
    when = when or utcnow()
    proposal.queued_at = when
    proposal.answer_due_at = when + timedelta(days=proposal.process.answer_delay_days)


def check_threshold(proposal: Proposal) -> bool:
    """Queue the proposal if it has just reached its threshold. Returns True if so."""
    if proposal.queued_at is not None or not proposal.is_open:
        return False
    needed = threshold_needed(proposal.process)
    if needed is None or proposal.support_count < needed:
        return False
    queue_for_answer(proposal)
    db.session.flush()
    audit.record(None, "proposal.threshold_reached", "proposal", proposal.id, supports=proposal.support_count,
                 needed=needed)
    mail_threshold_reached(proposal)
    events.emit("proposal", proposal.id, "threshold_reached", data={"supports": proposal.support_count})
    return True


def requeue_process(process: Process) -> int:
    """Apply the process's threshold to its open proposals not yet queued."""
    rows = db.session.scalars(sa.select(Proposal).where(
        Proposal.process_id == process.id, Proposal.queued_at.is_(None),
        Proposal.state.in_(OPEN_STATES))).all()
    if process.threshold_type == ThresholdType.NONE:
        for p in rows:
            queue_for_answer(p)
        db.session.flush()
        return len(rows)
    return sum(1 for p in rows if check_threshold(p))
