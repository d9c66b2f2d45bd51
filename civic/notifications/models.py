"""Notifications' tables: one inbox row per (event, person), the
preferences people changed from the defaults, and the digest markers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.time import utcnow
from civic.extensions import db


class Notification(db.Model):
    """What one person is told of one event. Unique per (event, person):
    a fan-out run again adds nothing."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    family: Mapped[str] = mapped_column(sa.String(20))
    # Why the person is told: "item" (follows it), "district" (follows its
    # district) or "concerned" (their own comment or content).
    reason: Mapped[str] = mapped_column(sa.String(20))
    in_inbox: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id", name="uq_notification_event_user"),
                      sa.Index("ix_notification_user_id_id", "user_id", "id"),
                      sa.Index("ix_notification_created_at", "created_at"))


class NotificationPreference(db.Model):
    """A choice differing from the default for one family and channel."""

    __tablename__ = "notification_preference"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    family: Mapped[str] = mapped_column(sa.String(20))
    channel: Mapped[str] = mapped_column(sa.String(10))
    frequency: Mapped[str] = mapped_column(sa.String(12))
    __table_args__ = (sa.UniqueConstraint("user_id", "family", "channel", name="uq_notification_preference"),
                      sa.CheckConstraint("channel IN ('mail', 'inbox')", name="channel"),
                      sa.CheckConstraint("frequency IN ('immediately', 'daily', 'weekly', 'off')",
                                         name="frequency"))


class DigestPeriod(db.Model):
    """One digest sent to one person for one period: written in the same
    transaction as the queued mail, so a digest is queued once and only once."""

    __tablename__ = "digest_period"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(10))
    period_start: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    __table_args__ = (sa.UniqueConstraint("user_id", "period", "period_start", name="uq_digest_period"),
                      sa.CheckConstraint("period IN ('daily', 'weekly')", name="period"))
