"""Debates, and comments on any registered kind.

A comment points at ``(kind, object_id)`` through the content registry: the
petitions (or budgets, processes...) package never knows comments exist.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.columns import enum_column
from civic.core.sanitize import clean_text
from civic.core.time import last_day, utcnow
from civic.extensions import db

# Replies to replies, no deeper: depth 0 (top level), 1 and 2.
MAX_DEPTH = 2
MAX_BODY = 2000


class DebateState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# The debate flow (civic.core.transitions): an official closes an open debate
# with its conclusion, once; nothing reopens it.
DEBATE_FLOW = {DebateState.OPEN: {DebateState.CLOSED}, DebateState.CLOSED: set()}


class Alignment(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    NEUTRAL = "neutral"


class ReactionValue(enum.StrEnum):
    USEFUL = "useful"
    NOT_USEFUL = "not_useful"


class Badge(enum.StrEnum):
    OFFICIAL = "official"
    MODERATOR = "moderator"


class Debate(db.Model):
    """A question put to residents, closed by an official with a conclusion.

    Hiding by moderation is orthogonal to the state (a closed debate can be
    hidden and restored as it was), so it is a timestamp, not a state.
    """

    __tablename__ = "debate"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    state: Mapped[DebateState] = mapped_column(enum_column(DebateState), default=DebateState.OPEN)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    conclusion_source: Mapped[str | None] = mapped_column(sa.Text)
    conclusion_html: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    district = relationship("District")
    author = relationship("User", foreign_keys=[author_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    sources: Mapped[list[DebateSource]] = relationship(
        back_populates="debate", cascade="all, delete-orphan", order_by="DebateSource.position")

    __table_args__ = (
        # A closed debate always has its conclusion and closing date; an open one has neither.
        sa.CheckConstraint(
            "(state = 'closed' AND closed_at IS NOT NULL AND conclusion_html IS NOT NULL) OR "
            "(state = 'open' AND closed_at IS NULL)", name="closed_has_conclusion"),
    )

    @property
    def is_open(self) -> bool:
        return self.state == DebateState.OPEN

    def accepts_contributions(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.state == DebateState.OPEN and self.hidden_at is None and (
            self.ends_at is None or now < self.ends_at)

    @property
    def ends_on(self) -> date | None:
        """The last local day contributions are accepted (``ends_at`` is the
        exclusive end: local midnight after that day)."""
        return last_day(self.ends_at) if self.ends_at is not None else None


class DebateSource(db.Model):
    """A document or page the framing relies on (title and link)."""

    __tablename__ = "debate_source"
    id: Mapped[int] = mapped_column(primary_key=True)
    debate_id: Mapped[int] = mapped_column(sa.ForeignKey("debate.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500))

    debate: Mapped[Debate] = relationship(back_populates="sources")
    __table_args__ = (sa.UniqueConstraint("debate_id", "position"),)


class Comment(db.Model):
    """A comment on any registered kind, or a reply to another comment.

    ``root_id`` is the top-level comment of the thread (None for top-level
    comments): a page of threads loads in one query. Deleted comments keep
    their row and place, without text; hidden ones are kept for moderation.
    """

    __tablename__ = "comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    root_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(sa.Integer, default=0)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    alignment: Mapped[Alignment | None] = mapped_column(enum_column(Alignment))
    # The author's standing when writing, shown as a badge (kept if roles change later).
    badge: Mapped[Badge | None] = mapped_column(enum_column(Badge))
    body_source: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    is_official_answer: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    author = relationship("User", foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    __table_args__ = (
        sa.CheckConstraint(f"depth >= 0 AND depth <= {MAX_DEPTH}", name="depth"),
        sa.CheckConstraint("(parent_id IS NULL) = (depth = 0)", name="parent_depth"),
        sa.CheckConstraint("(parent_id IS NULL) = (root_id IS NULL)", name="root"),
        sa.Index("ix_comment_item", "kind", "object_id", "parent_id", "created_at"),
        sa.Index("ix_comment_author_recent", "author_id", "created_at"),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def excerpt(self, length: int = 180) -> str:
        """One line of plain text (Markdown markers dropped) for quotes and summaries."""
        text = re.sub(r"(^|\n)\s*(?:[-*+]|\d+\.|>|#+)\s+", " ", self.body_source or "")
        text = re.sub(r"[*_`]+", "", text)
        text = clean_text(text)
        return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Reaction(db.Model):
    """"Useful" or "not useful": one per person per comment, by constraint."""

    __tablename__ = "comment_reaction"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    value: Mapped[ReactionValue] = mapped_column(enum_column(ReactionValue))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("comment_id", "user_id"),)


class CommentSettings(db.Model):
    """Comments closed on one item by an official, whatever its kind."""

    __tablename__ = "comment_settings"
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    object_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(sa.String(300))


class ReplyNotification(db.Model):
    """A reply waiting to be told to the parent's author in the next digest.

    ``sent_at`` is the persisted marker that makes the digest job idempotent.
    """

    __tablename__ = "comment_reply_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    __table_args__ = (
        sa.UniqueConstraint("recipient_id", "comment_id"),
        sa.Index("ix_reply_notification_pending", "recipient_id", "sent_at"),
    )
