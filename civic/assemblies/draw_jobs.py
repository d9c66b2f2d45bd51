"""Job bodies of the draw (registered by ``draw_kind``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.extensions import db

from . import draw_services
from .models import Selection, SelectionState

RETENTION_SETTING = "assemblies.pool_retention_days"


def erase_closed_pools(now: datetime | None = None) -> int:
    """Periodic: once a selection has been closed for the retention delay, erase
    the feature and contact data of the people not selected (audited).
    Returns how many people's data it erased."""
    now = now or utcnow()
    days = int(get_setting(RETENTION_SETTING))
    due = db.session.scalars(sa.select(Selection).where(
        Selection.state == SelectionState.CLOSED, Selection.data_deleted_at.is_(None))).all()
    return sum(draw_services.erase_pool_data(sel, now, days) for sel in due)
