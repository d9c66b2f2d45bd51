"""Participatory processes, the proposals made in them, and what follows a
proposal: supports, amendments, clarifications, versions, official answer,
implementation updates.

Phases belong to ``civic.core.phases`` (owner ``("process", id)``); a process
keeps a copy of its current phase's code and whether it allows anything, set by
the ``phase_changed`` hook, so that "open now" and the archive are plain SQL
filters on a paginated list.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import District, User
from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db


class ThresholdType(enum.StrEnum):
    """How many supports put a proposal in the officials' queue."""

    NONE = "none"        # every proposal is owed an answer from its publication
    COUNT = "count"      # a fixed number of supports
    PERCENT = "percent"  # a share of the verified residents of the district


class ProposalState(enum.StrEnum):
    PUBLISHED = "published"
    EVALUATING = "evaluating"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    IMPLEMENTED = "implemented"


# The only moves a proposal's state can make, through
# ``civic.core.transitions.transition`` (the model every stateful kind copies).
# Accepted and rejected need an official answer (enforced by the service and a
# CHECK); implemented comes from an implementation update marked done.
TRANSITIONS: dict[ProposalState, set[ProposalState]] = {
    ProposalState.PUBLISHED: {ProposalState.EVALUATING, ProposalState.ACCEPTED, ProposalState.REJECTED,
                              ProposalState.WITHDRAWN},
    ProposalState.EVALUATING: {ProposalState.ACCEPTED, ProposalState.REJECTED, ProposalState.WITHDRAWN},
    ProposalState.ACCEPTED: {ProposalState.IMPLEMENTED},
    ProposalState.REJECTED: set(),
    ProposalState.WITHDRAWN: set(),
    ProposalState.IMPLEMENTED: set(),
}

# States in which a proposal can still gather supports and amendments.
OPEN_STATES = (ProposalState.PUBLISHED, ProposalState.EVALUATING)


class AmendmentState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


# An amendment is decided once, by the proposal's author.
AMENDMENT_TRANSITIONS: dict[AmendmentState, set[AmendmentState]] = {
    AmendmentState.PENDING: {AmendmentState.ACCEPTED, AmendmentState.REJECTED},
    AmendmentState.ACCEPTED: set(),
    AmendmentState.REJECTED: set(),
}


class ImplementationStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    HALTED = "halted"


class Process(db.Model):
    __tablename__ = "process"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")        # Markdown source, for editing
    description_html: Mapped[str] = mapped_column(sa.Text, default="")   # sanitized, shown with |html
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    # The image is kept in the database (under 200 KB after resizing): every
    # web node serves it without shared storage.
    image_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    image_alt: Mapped[str | None] = mapped_column(sa.String(200))
    image_version: Mapped[int] = mapped_column(sa.Integer, default=0)
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)

    # Rules of the process, edited by admins and officials.
    support_limit: Mapped[int | None] = mapped_column(sa.Integer)  # per person in this process; None = no limit
    threshold_type: Mapped[ThresholdType] = mapped_column(enum_column(ThresholdType), default=ThresholdType.NONE)
    # A number of supports, or hundredths of a percent (150 = 1.5 %) for PERCENT.
    threshold_value: Mapped[int | None] = mapped_column(sa.Integer)
    requires_verification: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    answer_delay_days: Mapped[int] = mapped_column(sa.Integer, default=90)

    # Linked items of other modules, reached through the content registry only.
    budget_id: Mapped[int | None] = mapped_column(sa.Integer)
    consultation_id: Mapped[int | None] = mapped_column(sa.Integer)

    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    results: Mapped[str | None] = mapped_column(sa.Text)
    results_html: Mapped[str | None] = mapped_column(sa.Text)
    results_published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    # Copy of the current phase (see module docstring).
    phase_code: Mapped[str | None] = mapped_column(sa.String(40))
    participation_open: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Set when the last phase is entered: the process is then in the archive.
    last_phase_entered: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    district: Mapped[District | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("support_limit IS NULL OR support_limit > 0", name="support_limit"),
        sa.CheckConstraint("answer_delay_days > 0", name="answer_delay"),
        sa.CheckConstraint(
            "(threshold_type = 'none' AND threshold_value IS NULL)"
            " OR (threshold_type = 'count' AND threshold_value >= 1)"
            " OR (threshold_type = 'percent' AND threshold_value >= 1 AND threshold_value <= 10000)",
            name="threshold"),
        sa.Index("ix_process_listing", "published_at", "participation_open"),
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Proposal(db.Model):
    __tablename__ = "proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)             # Markdown source
    body_html: Mapped[str] = mapped_column(sa.Text)        # sanitized
    # Lower-case, accent-free title and body: similar-proposal search with
    # LIKE behaves the same on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    category: Mapped[str | None] = mapped_column(sa.String(80))
    place: Mapped[str | None] = mapped_column(sa.String(200))

    state: Mapped[ProposalState] = mapped_column(enum_column(ProposalState), default=ProposalState.PUBLISHED)
    state_changed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Updated in the same transaction as the support row (see services.support_proposal).
    support_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Kept by the deliberation module through the ``comment_count_changed`` hook.
    comment_count: Mapped[int] = mapped_column(sa.Integer, default=0)

    # In the officials' queue since (threshold reached, or publication when the
    # process has no threshold); the answer is due ``answer_delay_days`` later.
    queued_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answer_html: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    # Set when an accepted proposal became a project of the linked budget.
    budget_project_id: Mapped[int | None] = mapped_column(sa.Integer)
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    process: Mapped[Process] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    district: Mapped[District | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("support_count >= 0", name="support_count"),
        sa.CheckConstraint("comment_count >= 0", name="comment_count"),
        # An accepted or rejected proposal always carries its public answer.
        sa.CheckConstraint("state NOT IN ('accepted', 'rejected', 'implemented') OR answered_at IS NOT NULL",
                           name="answered"),
        sa.CheckConstraint("state <> 'withdrawn' OR withdrawn_reason IS NOT NULL", name="withdrawn"),
        sa.Index("ix_proposal_process_state", "process_id", "state"),
        sa.Index("ix_proposal_process_supports", "process_id", "support_count"),
        sa.Index("ix_proposal_queued", "queued_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ProposalVersion(db.Model):
    """Every text a proposal had: the original, the author's edits before the
    first support, and accepted amendments."""

    __tablename__ = "proposal_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_html: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(20))  # "original", "edit", "amendment"
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal_amendment.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)


class Clarification(db.Model):
    """What the author adds once supports arrived: shown dated under the text."""

    __tablename__ = "proposal_clarification"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class Amendment(db.Model):
    """Another resident's amended text; it stays visible whatever the decision."""

    __tablename__ = "proposal_amendment"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[AmendmentState] = mapped_column(enum_column(AmendmentState), default=AmendmentState.PENDING)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    author: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("state <> 'rejected' OR decision_reason IS NOT NULL", name="reason"),
    )


class Support(db.Model):
    """One support per person per proposal, by database constraint."""

    __tablename__ = "proposal_support"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"))
    # Copied from the proposal so the per-process limit is one indexed count.
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id", ondelete="CASCADE"))
    # NULL once the account is deleted: the support still counts, nobody's name is attached.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    notify: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # mail me the official answer
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "user_id"),
        sa.Index("ix_proposal_support_process_user", "process_id", "user_id"),
        sa.Index("ix_proposal_support_user", "user_id"),
        sa.Index("ix_proposal_support_created", "created_at"),  # the daily series (processes.series)
    )


class ImplementationUpdate(db.Model):
    """Follow-up of an accepted proposal: status, progress, dated note."""

    __tablename__ = "proposal_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    status: Mapped[ImplementationStatus] = mapped_column(enum_column(ImplementationStatus))
    progress: Mapped[int] = mapped_column(sa.Integer)
    note_html: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),)


class ProposalDaily(db.Model):
    """Supports a proposal received per local day (an open data series,
    ``processes.series``), recomputed from the support rows by a periodic job."""

    __tablename__ = "proposal_daily"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    supports: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "day"),
        sa.CheckConstraint("supports > 0", name="positive"),
    )
