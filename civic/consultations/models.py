"""Consultations: questionnaires, anonymous answers, results, official follow-up.

Anonymity is a property of the schema. Who answered lives in
:class:`ConsultationParticipation` (a person, or a paper form reference, and the *day*);
what was answered lives in :class:`AnonymousResponse` and :class:`FreeTextAnswer`, which have
no user column, no foreign key to a participation, no timestamp, and random
UUID primary keys (SQLite tables WITHOUT ROWID, so not even the implicit rowid
keeps the insertion order). The only thing a response knows about its author
is the district, coarse enough to publish breakdowns under the k = 10 rule.
A respondent finds their own response again with a secret edit code that only
they hold; the database keeps a hash of it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import District
from civic.core.columns import enum_column
from civic.core.time import last_day, local_day, utcnow
from civic.extensions import db


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # scheduled or open, depending on the dates
    CLOSED = "closed"


# The one flow of a consultation (civic.core.transitions.transition moves it):
# a draft is published once, a published consultation closes once (early by an
# official, or at its closing date by the periodic job); nothing reopens.
FLOW: dict[Status, set[Status]] = {
    Status.DRAFT: {Status.PUBLISHED},
    Status.PUBLISHED: {Status.CLOSED},
    Status.CLOSED: set(),
}


class Eligibility(enum.StrEnum):
    CONFIRMED_EMAIL = "confirmed_email"  # anyone with a confirmed email address
    RESIDENTS = "residents"  # verified residents of any district
    DISTRICTS = "districts"  # verified residents of the chosen districts


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RANKING = "ranking"
    SCALE = "scale"
    TEXT = "text"


class Outcome(enum.StrEnum):
    ADOPTED = "adopted"
    PARTLY = "partly"
    NOT_ADOPTED = "not_adopted"


class Review(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EXCLUDED = "excluded"


# A moderator decides on a pending free text and may correct the decision
# later (stating it again, e.g. a double click, changes nothing).
REVIEW_FLOW: dict[Review, set[Review]] = {
    Review.PENDING: {Review.APPROVED, Review.EXCLUDED},
    Review.APPROVED: {Review.APPROVED, Review.EXCLUDED},
    Review.EXCLUDED: {Review.APPROVED, Review.EXCLUDED},
}


consultation_district = sa.Table(
    "consultation_district", db.metadata,
    sa.Column("consultation_id", sa.ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.ForeignKey("district.id", ondelete="CASCADE"), primary_key=True),
)


class Consultation(db.Model):
    __tablename__ = "consultation"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    context_md: Mapped[str] = mapped_column(sa.Text, default="")
    context_html: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"title": str, "url": str}]: documents are links, not uploads.
    documents: Mapped[list] = mapped_column(sa.JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # The area concerned (None: city-wide): scopes officials and the accountability filter.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"), index=True)
    eligibility: Mapped[Eligibility] = mapped_column(enum_column(Eligibility), default=Eligibility.CONFIRMED_EMAIL)
    free_text_private: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT, index=True)
    opens_at: Mapped[datetime] = mapped_column(sa.DateTime)
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime)
    results_due_at: Mapped[datetime] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Persisted by the results job; its presence is the job's idempotency marker.
    results: Mapped[dict | None] = mapped_column(sa.JSON)
    results_computed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Follow-up: "what we heard", "what happens next" (decisions are rows).
    heard_md: Mapped[str] = mapped_column(sa.Text, default="")
    heard_html: Mapped[str] = mapped_column(sa.Text, default="")
    followup_published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    questions: Mapped[list[ConsultationQuestion]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by=lambda: ConsultationQuestion.position)
    districts: Mapped[list[District]] = relationship(secondary=consultation_district, order_by=District.code)
    district: Mapped[District | None] = relationship(foreign_keys=[district_id])
    decisions: Mapped[list[FollowupDecision]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by=lambda: FollowupDecision.position)
    next_steps: Mapped[list[FollowupStep]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by=lambda: FollowupStep.due_on)

    __table_args__ = (
        sa.CheckConstraint("opens_at < closes_at", name="ck_consultation_dates"),
        sa.CheckConstraint("closes_at <= results_due_at", name="ck_consultation_results_due"),
    )

    def phase(self, now: datetime | None = None) -> str:
        """"draft", "upcoming", "open" or "closed" (for display and checks)."""
        now = now or utcnow()
        if self.status == Status.DRAFT:
            return "draft"
        if self.status == Status.CLOSED or now >= self.closes_at:
            return "closed"
        return "open" if now >= self.opens_at else "upcoming"

    def is_open(self, now: datetime | None = None) -> bool:
        return self.phase(now) == "open"

    # The local days an official entered (the stored bounds are UTC instants,
    # the closing and results ones exclusive): what the forms and pages show.
    @property
    def opens_on(self) -> date:
        return local_day(self.opens_at)

    @property
    def closes_on(self) -> date:
        return last_day(self.closes_at)

    @property
    def results_due_on(self) -> date:
        return last_day(self.results_due_at)

    def stop_answering(self, now: datetime) -> None:
        """Closing at ``now``: no answer after it, so an early close moves the
        closing (and a future opening) back to now."""
        self.closed_at = now
        if self.closes_at > now:
            self.closes_at = now
            if self.opens_at >= now:
                self.opens_at = now - timedelta(seconds=1)


class ConsultationQuestion(db.Model):
    __tablename__ = "consultation_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    prompt: Mapped[str] = mapped_column(sa.String(500))
    help_text: Mapped[str] = mapped_column(sa.String(1000), default="")
    required: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # Multiple choice: most options one may tick; ranking: how many places (K).
    max_choices: Mapped[int | None] = mapped_column(sa.Integer)
    allow_other: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    choices: Mapped[list[ConsultationChoice]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by=lambda: ConsultationChoice.position, lazy="selectin")

    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "position"),
        sa.CheckConstraint("max_choices IS NULL OR max_choices >= 1", name="ck_question_max"),
    )


class ConsultationChoice(db.Model):
    __tablename__ = "consultation_choice"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    label: Mapped[str] = mapped_column(sa.String(300))

    question: Mapped[ConsultationQuestion] = relationship(back_populates="choices")


class ConsultationParticipation(db.Model):
    """Who answered: a person (or a paper form) and the day, never the answers."""

    __tablename__ = "consultation_participation"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Paper forms of people without an account: the number written on the form.
    paper_reference: Mapped[str | None] = mapped_column(sa.String(60))
    on_paper: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # The day only: a time could be matched against anything else stored.
    answered_on: Mapped[date] = mapped_column(sa.Date)
    notify: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    __table_args__ = (
        # One person, one voice.
        sa.UniqueConstraint("consultation_id", "user_id", name="uq_participation_person"),
        sa.UniqueConstraint("consultation_id", "paper_reference", name="uq_participation_paper"),
    )


class AnonymousResponse(db.Model):
    """What was answered. No user, no participation, no time: see the module doc."""

    __tablename__ = "consultation_response"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    # {"<question id>": {"choices": [choice ids, in rank order], "other": str, "value": int, "text": str}}
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # sha256 of the respondent's edit code; None for paper responses and after closing.
    edit_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    __table_args__ = {"sqlite_with_rowid": False}


class FreeTextAnswer(db.Model):
    """A free-text answer (or an "other" text) waiting for, or past, a review
    for personal data. Published only when approved."""

    __tablename__ = "consultation_free_text"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_question.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consultation_response.id", ondelete="CASCADE"),
                                                   index=True)
    is_other: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    text: Mapped[str] = mapped_column(sa.Text)
    review: Mapped[Review] = mapped_column(enum_column(Review), default=Review.PENDING, index=True)

    __table_args__ = {"sqlite_with_rowid": False}


class FollowupDecision(db.Model):
    __tablename__ = "consultation_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    text_html: Mapped[str] = mapped_column(sa.Text, default="")
    # The question whose answers led to it, if any.
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consultation_question.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship(back_populates="decisions")
    question: Mapped[ConsultationQuestion | None] = relationship()
    links: Mapped[list[FollowupLink]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by=lambda: FollowupLink.id, lazy="selectin")


class FollowupLink(db.Model):
    """A contribution (proposal, comment, petition...) that led to a decision,
    reached through the content registry, with what became of it."""

    __tablename__ = "consultation_decision_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_decision.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    reason: Mapped[str] = mapped_column(sa.Text)

    decision: Mapped[FollowupDecision] = relationship(back_populates="links")

    __table_args__ = (sa.UniqueConstraint("decision_id", "kind", "object_id"),)


class FollowupStep(db.Model):
    __tablename__ = "consultation_next_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.String(500))

    consultation: Mapped[Consultation] = relationship(back_populates="next_steps")


class ConsultationDaily(db.Model):
    """People who answered a consultation per local day (an open data series,
    ``consultations.series``), recomputed from the participation rows, which
    keep the day only."""

    __tablename__ = "consultation_daily"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    answers: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "day"),
        sa.CheckConstraint("answers > 0", name="positive"),
    )
