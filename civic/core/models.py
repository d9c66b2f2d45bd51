"""Tables of the shared machinery: audit log, outbox, settings, rate counters,
job locks and the periodic schedule."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.time import utcnow
from civic.extensions import db


class AuditEntry(db.Model):
    """Append-only: an ORM update or delete raises (see audit.py)."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    kind: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_audit_entry_kind_object", "kind", "object_id"),)


class OutboxMessage(db.Model):
    """A mail recorded in the business transaction and delivered by a job."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    to_email: Mapped[str] = mapped_column(sa.String(320))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    topic: Mapped[str | None] = mapped_column(sa.String(120))
    # Producers pass a key when a logical message must exist once (one mail per
    # signer per response); the unique index makes a retried producer harmless.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    failed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_outbox_pending", "delivered_at", "failed_at", "id"),)


class MailOptOut(db.Model):
    """One-click unsubscribes from a bulk topic (or ``*`` for all bulk mail)."""

    __tablename__ = "mail_opt_out"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    topic: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    __table_args__ = (sa.UniqueConstraint("email", "topic"),)


class Setting(db.Model):
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)


class RateCounter(db.Model):
    """Fixed-window rate-limit counters when Redis is not configured."""

    __tablename__ = "rate_counter"
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)


class JobLock(db.Model):
    """A lease that keeps one job (tally, sweeper...) from running twice at once."""

    __tablename__ = "job_lock"
    name: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    owner: Mapped[str | None] = mapped_column(sa.String(80))
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)


class PeriodicRun(db.Model):
    """When each periodic job is next due; persisted so restarts keep the pace."""

    __tablename__ = "periodic_run"
    name: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(sa.DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
