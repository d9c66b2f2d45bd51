"""Conversations: short statements residents vote on (agree / disagree / pass),
and the opinion groups computed from those votes alone.

A conversation belongs to a host item of another kind (a debate, a
consultation) through ``(host_kind, host_id)`` and the content registry: the
host's package never knows conversations exist.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db

STATEMENT_MAX = 280
QUESTION_MAX = 300


class ConversationState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# Officials close a conversation (votes and statements stop; the groups stay
# published) and may reopen it while its host still takes contributions.
CONVERSATION_FLOW = {ConversationState.OPEN: {ConversationState.CLOSED},
                     ConversationState.CLOSED: {ConversationState.OPEN}}


class VoteValue(enum.IntEnum):
    AGREE = 1
    DISAGREE = -1
    PASS = 0


class Conversation(db.Model):
    """The question put to participants, attached to a host item."""

    __tablename__ = "conversation"
    id: Mapped[int] = mapped_column(primary_key=True)
    host_kind: Mapped[str] = mapped_column(sa.String(40))
    host_id: Mapped[int] = mapped_column(sa.Integer)
    question: Mapped[str] = mapped_column(sa.String(QUESTION_MAX))
    state: Mapped[ConversationState] = mapped_column(enum_column(ConversationState), default=ConversationState.OPEN)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    state_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Raised in the same transaction by every change to the votes (a new or
    # changed vote, a statement hidden, a person's votes erased): the job
    # compares it with the value its last result was computed at, so it never
    # recomputes for nothing and never misses a change.
    changes: Mapped[int] = mapped_column(sa.Integer, default=0)

    statements: Mapped[list[Statement]] = relationship(back_populates="conversation", order_by="Statement.id")
    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (sa.UniqueConstraint("host_kind", "host_id"),
                      sa.CheckConstraint("changes >= 0", name="changes"))

    @property
    def is_open(self) -> bool:
        return self.state == ConversationState.OPEN


class Statement(db.Model):
    """One short statement, written by a participant or seeded by an official."""

    __tablename__ = "conversation_statement"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(sa.String(STATEMENT_MAX + 20))
    seeded: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Imported from a Polis export: the export's comment-id, kept so that a
    # re-import is idempotent and results can be compared with Polis'.
    external_id: Mapped[str | None] = mapped_column(sa.String(40))

    conversation: Mapped[Conversation] = relationship(back_populates="statements")
    author = relationship("User", foreign_keys=[author_id])

    __table_args__ = (sa.UniqueConstraint("conversation_id", "external_id"),)


class StatementVote(db.Model):
    """Agree (1), disagree (-1) or pass (0): one per person and statement, changeable."""

    __tablename__ = "conversation_vote"
    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation_statement.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"))
    # Imported votes have no account: ``participant`` is then the export's voter-id.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    participant: Mapped[str | None] = mapped_column(sa.String(40))
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    voted_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("statement_id", "user_id"),
        sa.UniqueConstraint("statement_id", "participant"),
        sa.CheckConstraint("value IN (-1, 0, 1)", name="value"),
        sa.CheckConstraint("(user_id IS NULL) <> (participant IS NULL)", name="who"),
        sa.Index("ix_conversation_vote_voter", "conversation_id", "user_id"),
    )


class ConversationResult(db.Model):
    """The last computation of a conversation's opinion groups (one row, replaced).

    ``payload`` holds only aggregates (group sizes, per-group counts per
    statement, binned map points); who is in which group is in
    :class:`GroupMembership`, shown to the person only."""

    __tablename__ = "conversation_result"
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"),
                                                 primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    changes: Mapped[int] = mapped_column(sa.Integer)
    payload: Mapped[dict] = mapped_column(sa.JSON)


class GroupMembership(db.Model):
    """Which group a participant fell in at the last computation, and where on the map."""

    __tablename__ = "conversation_group_member"
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    group_number: Mapped[int] = mapped_column(sa.SmallInteger)
    x: Mapped[float] = mapped_column(sa.Float)
    y: Mapped[float] = mapped_column(sa.Float)
