"""A newsletter and its sending state."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import District, User
from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db


class Status(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"


# A scheduled letter can go back to draft until its first batch is queued;
# from then on it is sent to the end (the sweeper resumes a stopped sending).
FLOW: dict[Status, set[Status]] = {
    Status.DRAFT: {Status.SCHEDULED},
    Status.SCHEDULED: {Status.DRAFT, Status.SENDING},
    Status.SENDING: {Status.SENT},
    Status.SENT: set(),
}


class Newsletter(db.Model):
    __tablename__ = "newsletter"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_source: Mapped[str] = mapped_column(sa.Text)   # Markdown as written (the mail's text)
    body_html: Mapped[str] = mapped_column(sa.Text)     # sanitised rendering (archive and preview)
    # None: every consenting resident; else the residents of that district.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="RESTRICT"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Keyset cursor of the sending: recipients are taken by increasing user id,
    # so a job killed between batches resumes after the last id queued.
    cursor_user_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    queued_count: Mapped[int] = mapped_column(sa.Integer, default=0)

    district: Mapped[District | None] = relationship()
    author: Mapped[User | None] = relationship()
