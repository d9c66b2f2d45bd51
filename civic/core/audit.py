"""Append-only audit log of every state change: who, what, when, why."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from civic.core.models import AuditEntry
from civic.extensions import db


def record(actor, action: str, kind: str | None = None, object_id: int | None = None,
           reason: str | None = None, **data) -> AuditEntry:
    """Add an audit entry to the current transaction (flushed, not committed).

    ``actor`` is a User, a user id, or None for the system (jobs, scheduler).
    """
    actor_id = getattr(actor, "id", actor)
    entry = AuditEntry(actor_id=actor_id, action=action, kind=kind, object_id=object_id,
                       reason=reason, data=data or None)
    db.session.add(entry)
    return entry


def entries_for(kind: str, object_id: int):
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.kind == kind, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    ).all()


@event.listens_for(AuditEntry, "before_update")
def _no_update(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")
