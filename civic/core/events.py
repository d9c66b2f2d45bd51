"""Events: something happened to an item that people may want to hear of
(an official answer, a phase change, a reply to a comment...).

A domain service calls :func:`emit` in its business transaction; the row
commits (or rolls back) with the change itself, which is the outbox rule:
no event for a change that did not happen, no change without its event.
What to do with an event (the notifications' fan-out to followers) is
registered by another module with :func:`register_listener`; listeners
run in the same transaction and only enqueue jobs.

Each kind declares the events it emits in its ``events`` hook,
``{event_type: family}``; a family ("answers", "progress", "replies",
"moderation", "new_items") is what people choose preferences for. A few
event types are common to every kind (:data:`COMMON_EVENTS`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import content
from civic.core import time as core_time
from civic.core.time import utcnow
from civic.extensions import db

FAMILIES = ("answers", "progress", "replies", "moderation", "new_items")

# In ``data``: the emitting module mails the people concerned itself (the
# moderation decision mail, the deliberation reply digest); notifications
# then add the inbox item only, never a second mail.
MODULE_MAILED = "module_mailed"

# Event types any kind may emit without declaring them.
COMMON_EVENTS = {"created": "new_items", "comment_reply": "replies", "moderation_decision": "moderation"}


class Event(db.Model):
    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    event_type: Mapped[str] = mapped_column(sa.String(60))
    family: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(sa.Integer)
    # Title and address of the item when the event happened: the inbox and
    # digests show them without loading every item again.
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    url: Mapped[str] = mapped_column(sa.String(500), default="")
    concerned_user_ids: Mapped[list | None] = mapped_column(sa.JSON)
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    # Set once the fan-out job has gone through every recipient.
    fanned_out_at: Mapped[datetime | None] = mapped_column(sa.DateTime, index=True)
    __table_args__ = (sa.Index("ix_event_kind_object", "kind", "object_id"),)


_LISTENERS: list[Callable] = []


def register_listener(fn: Callable) -> None:
    """``fn(event)`` runs in the emitting transaction after the row is flushed."""
    if fn not in _LISTENERS:
        _LISTENERS.append(fn)


def family_of(kind_name: str, event_type: str) -> str:
    """The family of ``event_type`` for the kind; ValueError if the kind did
    not declare it (a typo must fail in tests, not vanish)."""
    declared = content.hook(kind_name, "events") or {}
    family = declared.get(event_type) or COMMON_EVENTS.get(event_type)
    if family not in FAMILIES:
        raise ValueError(f"{kind_name} does not declare the event {event_type!r}")
    return family


def emit(kind: str, object_id: int, event_type: str, *, actor_id: int | None = None,
         concerned_user_ids=(), district_id: int | None = None, data: dict | None = None) -> Event:
    """Record that ``event_type`` happened to ``(kind, object_id)``, in the
    current transaction. ``concerned_user_ids`` are people told whatever they
    follow (the author of the comment replied to, of the content moderated);
    ``actor_id`` is never told of their own act."""
    family = family_of(kind, event_type)
    registered, obj = content.load(kind, object_id, check_visible=False)
    if district_id is None:
        district_id = registered.district_id(obj)
    event = Event(kind=kind, object_id=object_id, event_type=event_type, family=family, actor_id=actor_id,
                  district_id=district_id, title=str(registered.title(obj))[:300],
                  url=str(registered.url(obj))[:500],
                  concerned_user_ids=sorted({int(u) for u in concerned_user_ids if u}) or None,
                  data=data or None, created_at=core_time.utcnow())
    db.session.add(event)
    db.session.flush()
    for fn in _LISTENERS:
        fn(event)
    return event
