"""Citizens' assemblies drawn by lot: the assembly space (issue 18, item 1).

An assembly is given a mandate (the question put to it) and a size; it meets in
sessions, hears experts, reads documents, splits into working groups and adopts
recommendations with their vote counts. Every published recommendation is owed
an official answer by a due date (``answer_delay_days`` after adoption), shown
on the accountability page, then followed by dated implementation updates.

Members are the people drawn; each chooses whether their first name is shown
(``show_name``). The draw itself (invitations, volunteers, quotas) builds on
these tables elsewhere in the package.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import District
from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db


class AssemblyState(enum.StrEnum):
    DRAFT = "draft"            # being prepared by staff, not public
    SELECTING = "selecting"    # public: the members are being drawn
    SITTING = "sitting"        # the members meet, hear, deliberate, adopt
    CONCLUDED = "concluded"    # the recommendations are handed over; answers and follow-up continue


# The only moves an assembly's state makes (through ``core.transitions.transition``).
# A draft may skip the selection when the members were drawn outside Civic.
FLOW: dict[AssemblyState, set[AssemblyState]] = {
    AssemblyState.DRAFT: {AssemblyState.SELECTING, AssemblyState.SITTING},
    AssemblyState.SELECTING: {AssemblyState.SITTING},
    AssemblyState.SITTING: {AssemblyState.CONCLUDED},
    AssemblyState.CONCLUDED: set(),
}

PUBLIC_STATES = (AssemblyState.SELECTING, AssemblyState.SITTING, AssemblyState.CONCLUDED)


class AnswerDecision(enum.StrEnum):
    """What the city decides about a recommendation, in its official answer."""

    ACCEPTED = "accepted"
    PARTLY = "partly"
    REJECTED = "rejected"


class ImplementationStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    HALTED = "halted"


class Assembly(db.Model):
    __tablename__ = "assembly"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    mandate: Mapped[str] = mapped_column(sa.Text, default="")        # Markdown source: the question put to it
    mandate_html: Mapped[str] = mapped_column(sa.Text, default="")   # sanitized
    size: Mapped[int] = mapped_column(sa.Integer)                    # number of members to draw
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    state: Mapped[AssemblyState] = mapped_column(enum_column(AssemblyState), default=AssemblyState.DRAFT)
    state_changed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    # Days the city gives itself to answer each recommendation, from its adoption.
    answer_delay_days: Mapped[int] = mapped_column(sa.Integer, default=90)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    district: Mapped[District | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("size > 0", name="size"),
        sa.CheckConstraint("answer_delay_days > 0", name="answer_delay"),
        sa.CheckConstraint("state = 'draft' OR published_at IS NOT NULL", name="published"),
        sa.Index("ix_assembly_state", "state"),
    )

    @property
    def is_published(self) -> bool:
        return self.state != AssemblyState.DRAFT


class Member(db.Model):
    """A person sitting in the assembly. ``user_id`` links the account when the
    member has one (their own data: export, erasure); ``first_name`` is shown
    only when ``show_name`` is set, by the member's own choice."""

    __tablename__ = "assembly_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(80))
    show_name: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    assembly: Mapped[Assembly] = relationship()

    __table_args__ = (sa.UniqueConstraint("assembly_id", "user_id"),)


class Sitting(db.Model):
    """One session of the assembly's calendar ("sitting": not the database session)."""

    __tablename__ = "assembly_sitting"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime)
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    summary_html: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="dates"),)


class Document(db.Model):
    """A document given to the members (and published), optionally tied to a sitting."""

    __tablename__ = "assembly_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    sitting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assembly_sitting.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class Hearing(db.Model):
    """An expert heard by the assembly, at a sitting."""

    __tablename__ = "assembly_hearing"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    sitting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assembly_sitting.id", ondelete="SET NULL"))
    expert: Mapped[str] = mapped_column(sa.String(200))
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")
    topic: Mapped[str] = mapped_column(sa.String(200))
    summary_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class WorkingGroup(db.Model):
    __tablename__ = "assembly_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    remit_html: Mapped[str] = mapped_column(sa.Text, default="")


class GroupMember(db.Model):
    __tablename__ = "assembly_group_member"
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly_group.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly_member.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)


class Recommendation(db.Model):
    """A recommendation adopted by the members, with the vote counts; the city
    owes it an official answer by ``answer_due_at``."""

    __tablename__ = "assembly_recommendation"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assembly_group.id", ondelete="SET NULL"))
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)          # Markdown source
    body_html: Mapped[str] = mapped_column(sa.Text)     # sanitized
    votes_for: Mapped[int] = mapped_column(sa.Integer)
    votes_against: Mapped[int] = mapped_column(sa.Integer)
    votes_abstain: Mapped[int] = mapped_column(sa.Integer)
    adopted_at: Mapped[datetime] = mapped_column(sa.DateTime)
    answer_due_at: Mapped[datetime] = mapped_column(sa.DateTime)
    decision: Mapped[AnswerDecision | None] = mapped_column(enum_column(AnswerDecision))
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answer_html: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    assembly: Mapped[Assembly] = relationship()
    group: Mapped[WorkingGroup | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("assembly_id", "number"),
        sa.CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0", name="votes"),
        # Adopted means a majority of the votes cast for it.
        sa.CheckConstraint("votes_for > votes_against", name="adopted"),
        sa.CheckConstraint("answered_at IS NULL OR (decision IS NOT NULL AND answer_html IS NOT NULL)",
                           name="answered"),
    )


class RecommendationUpdate(db.Model):
    """Implementation follow-up of an answered recommendation: status, progress, dated note."""

    __tablename__ = "assembly_recommendation_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assembly_recommendation.id", ondelete="CASCADE"), index=True)
    status: Mapped[ImplementationStatus] = mapped_column(enum_column(ImplementationStatus))
    progress: Mapped[int] = mapped_column(sa.Integer)
    note_html: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),)
