"""Job bodies of the draw (registered by ``draw_kind``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from civic.accounts.models import User
from civic.core.errors import PermissionDenied, ValidationError
from civic.core.jobs import job_lock
from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.extensions import db

from . import drawing
from .models import Selection, SelectionState

RETENTION_SETTING = "assemblies.pool_retention_days"
# A draw started this long ago and still not done lost its job (a lost Redis,
# a killed worker): the periodic resume_draws runs it again.
DRAW_RESUME_AFTER = timedelta(minutes=20)


def draw(selection_id: int) -> bool:
    """The draw a manager started (``draw_services.start_draw``): run it as the
    person who started it, whose permission is checked again. Idempotent: a
    selection already drawn, or being drawn by another worker, is left alone.
    A failure (quotas the pool can no longer meet) is kept on the selection
    for the manage page. True if this run drew the panel."""
    with job_lock(f"assemblies.draw:{selection_id}", ttl=3600) as got:
        if not got:
            return False
        sel = db.session.get(Selection, selection_id)
        if sel is None or sel.state != SelectionState.COMMITTED or sel.draw_requested_at is None:
            return False
        actor = db.session.get(User, sel.draw_requested_by_id) if sel.draw_requested_by_id else None
        try:
            drawing.run_draw(actor, sel)
        except (ValidationError, PermissionDenied) as err:
            db.session.rollback()
            sel = db.session.get(Selection, selection_id)
            sel.draw_requested_at, sel.draw_error = None, err.message
            db.session.commit()
            return False
        sel.draw_requested_at = None
        db.session.commit()
        return True


def resume_draws(now: datetime | None = None) -> int:
    """Periodic: draws started long ago whose job was lost run again."""
    now = now or utcnow()
    stale = db.session.scalars(sa.select(Selection.id).where(
        Selection.state == SelectionState.COMMITTED, Selection.draw_requested_at.is_not(None),
        Selection.draw_requested_at < now - DRAW_RESUME_AFTER)).all()
    db.session.rollback()
    return sum(1 for selection_id in stale if draw(selection_id))


def erase_closed_pools(now: datetime | None = None) -> int:
    """Periodic: once a selection has been closed for the retention delay, erase
    the feature and contact data of the people not selected (audited).
    Returns how many people's data it erased."""
    now = now or utcnow()
    days = int(get_setting(RETENTION_SETTING))
    due = db.session.scalars(sa.select(Selection).where(
        Selection.state == SelectionState.CLOSED, Selection.data_deleted_at.is_(None))).all()
    return sum(drawing.erase_pool_data(sel, now, days) for sel in due)
