"""Moderation tables: reports, cases, decisions, appeals, holds.

An item ``(kind, object_id)`` of any registered kind is reported; open reports
gather in one open :class:`ModerationCase` per item (a partial unique index
guarantees there is never a second one). A moderator closes the case with a
:class:`Decision` (keep, hide, redact). Blocks are decisions too (kind "user"),
so appeals, statements of reasons and the public figures treat them alike.

Why an item is hidden is kept in :class:`Hold` rows: an item is hidden while
it has at least one active hold (pending review, hidden by a decision, its
author blocked). Lifting a block releases that block's holds only, so it
restores exactly what the block hid and nothing that is hidden for another
reason. Nothing here deletes content.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    MISINFORMATION = "misinformation"
    PERSONAL_DATA = "personal_data"
    ILLEGAL = "illegal"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class CaseSource(enum.StrEnum):
    REPORTS = "reports"
    PREMODERATION = "premoderation"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    DECIDED = "decided"


# A case is decided once: the first moderator's decision wins (compare-and-set).
CASE_FLOW = {CaseStatus.OPEN: {CaseStatus.DECIDED}, CaseStatus.DECIDED: set()}


class DecisionType(enum.StrEnum):
    KEEP = "keep"
    HIDE = "hide"
    REDACT = "redact"
    BLOCK = "block"


# Decisions the person concerned may appeal (keeping content is in their favour).
APPEALABLE = {DecisionType.HIDE, DecisionType.REDACT, DecisionType.BLOCK}


class AppealStatus(enum.StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


# An appeal is decided once, by confirming or reversing the decision.
APPEAL_FLOW = {AppealStatus.PENDING: {AppealStatus.UPHELD, AppealStatus.OVERTURNED},
               AppealStatus.UPHELD: set(), AppealStatus.OVERTURNED: set()}


class HoldCause(enum.StrEnum):
    REVIEW = "review"        # auto-hidden or pre-moderated, until a decision (ref: case id)
    DECISION = "decision"    # hidden by a moderator's decision (ref: decision id)
    BLOCK = "block"          # the author is blocked (ref: the block decision id)


class ModerationCase(db.Model):
    """One review of one item: open while reports (or a pre-moderation) wait."""

    __tablename__ = "moderation_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    # Snapshots taken when the case opens: the queue filters and sorts on them
    # in SQL without loading every item.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    source: Mapped[CaseSource] = mapped_column(enum_column(CaseSource), default=CaseSource.REPORTS)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.OPEN)
    report_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    first_reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # When the item was hidden pending review (auto-hide threshold or pre-moderation).
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime, index=True)

    decision: Mapped[Decision | None] = relationship(back_populates="case", uselist=False)

    __table_args__ = (
        sa.Index("ix_moderation_case_item", "kind", "object_id"),
        sa.Index("uq_moderation_case_open", "kind", "object_id", unique=True,
                 sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'")),
        sa.Index("ix_moderation_case_queue", "status", "hidden_at", "report_count", "created_at"),
        sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided"),
    )

    @property
    def auto_hidden(self) -> bool:
        return self.source == CaseSource.REPORTS and self.hidden_at is not None


class Report(db.Model):
    __tablename__ = "moderation_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("moderation_case.id", ondelete="CASCADE"), index=True)
    # NULL once the reporter deleted their account (the report still counts).
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason))
    details: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)

    case: Mapped[ModerationCase] = relationship()

    # One report per person per item, whatever the case.
    __table_args__ = (sa.UniqueConstraint("kind", "object_id", "reporter_id", name="uq_moderation_report_person"),)


class Decision(db.Model):
    """A moderator's decision on a case, or a block of a person (kind "user")."""

    __tablename__ = "moderation_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a case gets one decision; the first moderator wins.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderation_case.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    type: Mapped[DecisionType] = mapped_column(enum_column(DecisionType))
    # Violation found (None when content is kept).
    reason_code: Mapped[ReportReason | None] = mapped_column(enum_column(ReportReason))
    statement: Mapped[str] = mapped_column(sa.Text)
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The person the decision is about (author of the item, or the blocked person).
    subject_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    # Redactions: the text before the edit, for moderators and the audit trail only.
    original_text: Mapped[str | None] = mapped_column(sa.Text)
    redacted_text: Mapped[str | None] = mapped_column(sa.Text)
    # Blocks: until when (a far-future date means permanent), and when lifted.
    block_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Set when an appeal overturned the decision: its effects were reversed.
    reversed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    case: Mapped[ModerationCase | None] = relationship(back_populates="decision")
    appeal: Mapped[Appeal | None] = relationship(back_populates="decision", uselist=False)

    __table_args__ = (
        sa.Index("ix_moderation_decision_item", "kind", "object_id"),
        sa.CheckConstraint("(type = 'block') = (block_until IS NOT NULL)", name="block"),
    )


class Appeal(db.Model):
    __tablename__ = "moderation_appeal"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a decision can be appealed once.
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("moderation_decision.id", ondelete="CASCADE"), unique=True)
    appellant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    status: Mapped[AppealStatus] = mapped_column(enum_column(AppealStatus), default=AppealStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    statement: Mapped[str | None] = mapped_column(sa.Text)

    decision: Mapped[Decision] = relationship(back_populates="appeal")

    __table_args__ = (
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
    )


class Hold(db.Model):
    """One reason why moderation hides an item; hidden while any is active."""

    __tablename__ = "moderation_hold"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    cause: Mapped[HoldCause] = mapped_column(enum_column(HoldCause))
    ref_id: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", "cause", "ref_id", name="uq_moderation_hold"),
        sa.Index("ix_moderation_hold_ref", "cause", "ref_id"),
    )


class DigestMarker(db.Model):
    """Watermarks of the moderators' digest: what was already announced."""

    __tablename__ = "moderation_digest_marker"
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    report_id_upto: Mapped[int] = mapped_column(sa.Integer, default=0)
    case_id_upto: Mapped[int] = mapped_column(sa.Integer, default=0)
    appeal_id_upto: Mapped[int] = mapped_column(sa.Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
