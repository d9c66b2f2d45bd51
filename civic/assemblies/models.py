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


# --- the draw (issue 18, items 2-5 and 7): invitations, volunteers, quotas, selection --------------------------
#
# One selection per assembly. Stage 1 sends letters to a uniform sample of an
# address list (only the addresses drawn are stored, with a keyed hash of each
# reply code); stage 2 collects volunteers' features on the form the admins
# chose; the admins set quotas, publish the commitment of a secret seed (the
# pool is frozen then, as an anonymised snapshot), run the draw and reveal the
# seed so that anyone can recompute the panel. Closing the selection starts the
# retention delay after which the feature data of people not selected is erased.


class SelectionState(enum.StrEnum):
    OPEN = "open"              # invitations out, volunteers register, quotas set
    COMMITTED = "committed"    # pool frozen, the seed's hash published
    DRAWN = "drawn"            # panel drawn, seed revealed, report public
    CLOSED = "closed"          # done: pool data erased after the retention delay


# The draw can only go forward: a published commitment cannot be withdrawn
# (that would allow choosing a seed after seeing the pool), and a drawn panel
# is never drawn again (replacements are drawn separately, from the same seed).
SELECTION_FLOW: dict[SelectionState, set[SelectionState]] = {
    SelectionState.OPEN: {SelectionState.COMMITTED},
    SelectionState.COMMITTED: {SelectionState.DRAWN},
    SelectionState.DRAWN: {SelectionState.CLOSED},
    SelectionState.CLOSED: set(),
}


class Algorithm(enum.StrEnum):
    MAXIMIN = "maximin"
    NASH = "nash"
    LEGACY = "legacy"


class VolunteerStatus(enum.StrEnum):
    POOL = "pool"                  # registered, not yet drawn
    SELECTED = "selected"          # drawn: became a member
    NOT_SELECTED = "not_selected"  # in the pool at the draw, not drawn
    WITHDRAWN = "withdrawn"        # was selected, left; a replacement was drawn


class Selection(db.Model):
    __tablename__ = "assembly_selection"
    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), unique=True)
    state: Mapped[SelectionState] = mapped_column(enum_column(SelectionState), default=SelectionState.OPEN)
    algorithm: Mapped[Algorithm] = mapped_column(enum_column(Algorithm), default=Algorithm.MAXIMIN)
    # Categories whose answer is sensitive: asked only with the volunteer's explicit consent.
    sensitive: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Stage 1: the published seed of the invitation sample, and its figures.
    invitation_seed: Mapped[str | None] = mapped_column(sa.String(100))
    address_count: Mapped[int | None] = mapped_column(sa.Integer)
    invited_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Stage 2: the commitment (sha256 of the seed) is public from ``committed_at``,
    # the seed itself only once drawn.
    seed_commitment: Mapped[str | None] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(100))
    # The anonymised files the draw is computed from, frozen at the commitment.
    respondents_csv: Mapped[str | None] = mapped_column(sa.Text)
    categories_csv: Mapped[str | None] = mapped_column(sa.Text)
    # The public report's figures (no personal data), written by the draw.
    report: Mapped[dict | None] = mapped_column(sa.JSON)
    replacements: Mapped[int] = mapped_column(sa.Integer, default=0)
    # A draw started and not finished yet (a worker runs it: draw_jobs.draw),
    # who started it, and why the last one failed, if it did.
    draw_requested_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    draw_requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    draw_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    data_deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    assembly: Mapped[Assembly] = relationship()
    quotas: Mapped[list[Quota]] = relationship(
        back_populates="selection", cascade="all, delete-orphan", order_by=lambda: Quota.position)

    __table_args__ = (
        sa.CheckConstraint("state = 'open' OR seed_commitment IS NOT NULL", name="committed"),
        sa.CheckConstraint("state IN ('open', 'committed') OR seed IS NOT NULL", name="revealed"),
    )

    def categories(self) -> list[str]:
        """The feature form's questions, in the order the quotas list them."""
        seen: dict[str, None] = {}
        for q in self.quotas:
            seen.setdefault(q.category, None)
        return list(seen)

    def values(self, category: str) -> list[str]:
        return [q.value for q in self.quotas if q.category == category]


class Quota(db.Model):
    """One feature value of a category (gender / woman...) with its min and max in the panel."""

    __tablename__ = "assembly_quota"
    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly_selection.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    category: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[str] = mapped_column(sa.String(80))
    min: Mapped[int] = mapped_column(sa.Integer)
    max: Mapped[int] = mapped_column(sa.Integer)

    selection: Mapped[Selection] = relationship(back_populates="quotas")

    __table_args__ = (
        sa.UniqueConstraint("selection_id", "category", "value"),
        sa.CheckConstraint("min >= 0 AND min <= max", name="bounds"),
    )


class Invitation(db.Model):
    """A letter sent in stage 1: the address drawn and a keyed hash of its reply code.

    The code itself is never stored: it is derived from the site's key (so the
    letters can be printed again) and checked through ``code_hash``."""

    __tablename__ = "assembly_invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly_selection.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(sa.Integer)  # order in the published sample
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(500), default="")  # lines joined by newlines
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    replied_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    __table_args__ = (sa.UniqueConstraint("selection_id", "position"),)


class Volunteer(db.Model):
    """A person in the pool: contact, features (erased after the selection closes
    unless selected) and, after the draw, their probability and outcome."""

    __tablename__ = "assembly_volunteer"
    id: Mapped[int] = mapped_column(primary_key=True)
    selection_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly_selection.id", ondelete="CASCADE"),
                                              index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assembly_invitation.id", ondelete="SET NULL"), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # The pseudonymous id in the published respondents file (``P0001``...), set at the commitment.
    ref: Mapped[str | None] = mapped_column(sa.String(40))
    first_name: Mapped[str] = mapped_column(sa.String(80), default="")
    last_name: Mapped[str] = mapped_column(sa.String(80), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # Keyed hash of the normalised address: at most one person per household.
    household: Mapped[str | None] = mapped_column(sa.String(64))
    features: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    consent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    status: Mapped[VolunteerStatus] = mapped_column(enum_column(VolunteerStatus), default=VolunteerStatus.POOL)
    probability: Mapped[float | None] = mapped_column(sa.Float)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assembly_member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("selection_id", "ref"),)
