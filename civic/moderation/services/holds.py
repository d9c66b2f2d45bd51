"""Holds: the reasons moderation hides an item. An item is hidden while it
has an active hold (pending review, hidden by a decision, its author
blocked); releasing the holds of one cause restores only the items that no
other cause keeps hidden."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.models import Hold, HoldCause
from civic.moderation.services.common import item


def active_holds(kind_name: str, object_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
        Hold.kind == kind_name, Hold.object_id == object_id, Hold.released_at.is_(None)))


def is_held(kind_name: str, object_id: int) -> bool:
    return active_holds(kind_name, object_id) > 0


def set_hidden(kind_name: str, object_id: int, hidden: bool) -> None:
    """Hide or show an item through its kind's ``set_hidden`` hook (if any)."""
    kind, obj = item(kind_name, object_id)
    fn = kind.hooks.get("set_hidden")
    if obj is None or fn is None:
        return
    fn(obj, hidden)


def add_hold(kind_name: str, object_id: int, cause: HoldCause, ref_id: int, at: datetime | None = None) -> bool:
    """Hide an item for one more reason. Returns True if the item became hidden."""
    before = active_holds(kind_name, object_id)
    db.session.add(Hold(kind=kind_name, object_id=object_id, cause=cause, ref_id=ref_id, created_at=at or utcnow()))
    db.session.flush()
    if before == 0:
        set_hidden(kind_name, object_id, True)
        return True
    return False


def release_holds(cause: HoldCause, ref_id: int, at: datetime | None = None) -> list[tuple[str, int]]:
    """Release the holds of one cause; restore the items that have no other.
    Returns the items made visible again."""
    holds = db.session.scalars(sa.select(Hold).where(
        Hold.cause == cause, Hold.ref_id == ref_id, Hold.released_at.is_(None))).all()
    restored = []
    for hold in holds:
        hold.released_at = at or utcnow()
    db.session.flush()
    for hold in holds:
        if active_holds(hold.kind, hold.object_id) == 0:
            set_hidden(hold.kind, hold.object_id, False)
            restored.append((hold.kind, hold.object_id))
    return restored
