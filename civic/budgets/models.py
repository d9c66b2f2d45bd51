"""Participatory budgets: editions, envelopes, projects, ballots, results and
implementation tracking.

Amounts are whole currency units (``BigInteger``): cities vote on whole euros,
and the rules engine computes exactly on integers. Ballots keep their choices
as JSON (ordered project ids, aligned points): this is exactly one pabulib
vote, so the counted data and the published open data are the same thing.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db

# Content kinds (civic.core.content): an edition, and a project of an edition.
KIND = "budget"
PROJECT_KIND = "project"


class VoteRule(enum.StrEnum):
    """What a ballot looks like."""

    APPROVAL = "approval"      # tick between a minimum and a maximum number of projects
    KNAPSACK = "knapsack"      # tick projects whose total cost fits in the envelope
    CUMULATIVE = "cumulative"  # spread N points, at most M per project
    RANKING = "ranking"        # rank up to K projects


class SelectionRule(enum.StrEnum):
    """How the winners are computed (civic.budgets.rules)."""

    GREEDY = "greedy"
    GREEDY_STOP = "greedy-stop"
    EQUAL_SHARES = "equal-shares"


class ResultsStatus(enum.StrEnum):
    PENDING = "pending"
    COMPUTED = "computed"
    PUBLISHED = "published"


class ProjectStatus(enum.StrEnum):
    """Feasibility review."""

    SUBMITTED = "submitted"
    FEASIBLE = "feasible"
    UNFEASIBLE = "unfeasible"
    MERGED = "merged"


class ImplementationStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class BallotChannel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    IMPORTED = "imported"  # ballots of a past election loaded from a .pb file


VOTE_RULE_LABELS = {
    VoteRule.APPROVAL: _l("Approval: choose between a minimum and a maximum number of projects"),
    VoteRule.KNAPSACK: _l("Budget: choose projects whose total cost fits in the envelope"),
    VoteRule.CUMULATIVE: _l("Points: spread your points between projects"),
    VoteRule.RANKING: _l("Ranking: rank your favourite projects"),
}
SELECTION_RULE_LABELS = {
    SelectionRule.GREEDY: _l("Greedy: most voted first, skipping projects that no longer fit"),
    SelectionRule.GREEDY_STOP: _l("Greedy, stopping at the first project that does not fit"),
    SelectionRule.EQUAL_SHARES: _l("Method of Equal Shares (proportional)"),
}
PROJECT_STATUS_LABELS = {
    ProjectStatus.SUBMITTED: _l("Awaiting review"),
    ProjectStatus.FEASIBLE: _l("Feasible"),
    ProjectStatus.UNFEASIBLE: _l("Not feasible"),
    ProjectStatus.MERGED: _l("Merged"),
}
IMPLEMENTATION_LABELS = {
    ImplementationStatus.PLANNED: _l("Planned"),
    ImplementationStatus.IN_PROGRESS: _l("In progress"),
    ImplementationStatus.DONE: lazy_pgettext("implementation", "Done"),
    ImplementationStatus.CANCELLED: _l("Cancelled"),
}

# The flows of the state columns: they change only through
# civic.core.transitions.transition(obj, FLOW, to, ...) in the services.
RESULTS_FLOW = {
    ResultsStatus.PENDING: {ResultsStatus.COMPUTED},
    ResultsStatus.COMPUTED: {ResultsStatus.COMPUTED, ResultsStatus.PUBLISHED, ResultsStatus.PENDING},
    ResultsStatus.PUBLISHED: set(),
}
REVIEW_FLOW = {
    ProjectStatus.SUBMITTED: {ProjectStatus.FEASIBLE, ProjectStatus.UNFEASIBLE, ProjectStatus.MERGED},
    ProjectStatus.FEASIBLE: {ProjectStatus.FEASIBLE, ProjectStatus.UNFEASIBLE, ProjectStatus.MERGED},
    ProjectStatus.UNFEASIBLE: {ProjectStatus.FEASIBLE, ProjectStatus.UNFEASIBLE, ProjectStatus.MERGED},
    ProjectStatus.MERGED: set(),
}
# A project enters implementation tracking (None -> PLANNED) only when the
# results are published; from then on its status follows this flow.
IMPLEMENTATION_FLOW = {
    ImplementationStatus.PLANNED: {ImplementationStatus.PLANNED, ImplementationStatus.IN_PROGRESS,
                                   ImplementationStatus.DONE, ImplementationStatus.CANCELLED},
    ImplementationStatus.IN_PROGRESS: {ImplementationStatus.IN_PROGRESS, ImplementationStatus.DONE,
                                       ImplementationStatus.CANCELLED},
    ImplementationStatus.DONE: {ImplementationStatus.DONE},
    ImplementationStatus.CANCELLED: {ImplementationStatus.CANCELLED},
}


class BudgetEdition(db.Model):
    __tablename__ = "budget_edition"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    total_amount: Mapped[int] = mapped_column(sa.BigInteger)
    vote_rule: Mapped[VoteRule] = mapped_column(enum_column(VoteRule))
    selection_rule: Mapped[SelectionRule] = mapped_column(enum_column(SelectionRule))
    min_choices: Mapped[int | None] = mapped_column(sa.Integer)
    max_choices: Mapped[int | None] = mapped_column(sa.Integer)
    min_spend_percent: Mapped[int | None] = mapped_column(sa.Integer)
    points_total: Mapped[int | None] = mapped_column(sa.Integer)
    points_max_per_project: Mapped[int | None] = mapped_column(sa.Integer)
    rank_max: Mapped[int | None] = mapped_column(sa.Integer)
    # Set when voting opens; from then on the rules cannot change.
    rules_frozen_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    results_status: Mapped[ResultsStatus] = mapped_column(enum_column(ResultsStatus), default=ResultsStatus.PENDING)
    results_computed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    results_published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Salt of the paper voters' fingerprints (never published).
    paper_salt: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    # None while the edition is a draft: only those who manage it see it,
    # until it has its envelopes and is published.
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    envelopes: Mapped[list[Envelope]] = relationship(
        back_populates="edition", cascade="all, delete-orphan", order_by="Envelope.id")

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    __table_args__ = (
        sa.CheckConstraint("total_amount >= 0", name="ck_budget_edition_amount"),
        sa.CheckConstraint("min_spend_percent IS NULL OR (min_spend_percent BETWEEN 0 AND 100)",
                           name="ck_budget_edition_min_spend"),
    )

    @property
    def rules_frozen(self) -> bool:
        return self.rules_frozen_at is not None

    @property
    def other_rule(self) -> SelectionRule:
        """The rule shown in the comparison panel."""
        if self.selection_rule == SelectionRule.EQUAL_SHARES:
            return SelectionRule.GREEDY
        return SelectionRule.EQUAL_SHARES


class Envelope(db.Model):
    """A share of the edition's amount with its own vote: one district, or the
    whole city (``district_id`` NULL)."""

    __tablename__ = "budget_envelope"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_edition.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)

    edition: Mapped[BudgetEdition] = relationship(back_populates="envelopes")
    district = relationship("District")

    __table_args__ = (
        sa.UniqueConstraint("edition_id", "district_id"),
        # NULLs are distinct in unique constraints: one city-wide envelope per edition.
        sa.Index("uq_budget_envelope_citywide", "edition_id", unique=True,
                 sqlite_where=sa.text("district_id IS NULL"), postgresql_where=sa.text("district_id IS NULL")),
        sa.CheckConstraint("amount >= 0", name="ck_budget_envelope_amount"),
    )

    @property
    def name(self) -> str:
        from flask_babel import gettext as _

        return self.district.name if self.district is not None else _("Whole city")


class Project(db.Model):
    __tablename__ = "budget_project"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_edition.id", ondelete="CASCADE"), index=True)
    envelope_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_envelope.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # Source text kept for moderation's "text"/"redact" hooks; HTML from render_markdown.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[str] = mapped_column(sa.String(80), default="")
    estimated_cost: Mapped[int] = mapped_column(sa.BigInteger)
    final_cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus), default=ProjectStatus.SUBMITTED)
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("budget_project.id", ondelete="SET NULL"))
    # Id in the .pb file a past election was imported from.
    external_id: Mapped[str | None] = mapped_column(sa.String(40))
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    has_image: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Results and implementation (set when results are published).
    selected: Mapped[bool | None] = mapped_column(sa.Boolean)
    implementation_status: Mapped[ImplementationStatus | None] = mapped_column(enum_column(ImplementationStatus))
    progress: Mapped[int] = mapped_column(sa.Integer, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    edition: Mapped[BudgetEdition] = relationship()
    envelope: Mapped[Envelope] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    merged_into: Mapped[Project | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint("estimated_cost >= 0", name="ck_budget_project_cost"),
        sa.CheckConstraint("final_cost IS NULL OR final_cost >= 0", name="ck_budget_project_final_cost"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="ck_budget_project_progress"),
        # A merged project points at the one it was merged into, and only then.
        sa.CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name="ck_budget_project_merged"),
    )

    @property
    def cost(self) -> int:
        """What the vote uses: the city's final cost once reviewed, else the estimate."""
        return self.final_cost if self.final_cost is not None else self.estimated_cost

    @property
    def on_ballot(self) -> bool:
        return self.status == ProjectStatus.FEASIBLE and not self.hidden



class ProjectImage(db.Model):
    """Kept apart from the project row so lists never load image bytes. In the
    database rather than on disk: every web node serves the same image."""

    __tablename__ = "budget_project_image"
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_project.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    alt: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class ProjectUpdate(db.Model):
    """A dated public implementation update written by an official."""

    __tablename__ = "budget_project_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_project.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    status: Mapped[ImplementationStatus] = mapped_column(enum_column(ImplementationStatus))
    progress: Mapped[int] = mapped_column(sa.Integer)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")


class PaperVoter(db.Model):
    """Someone who voted on paper without an account: only a salted hash of
    name, birth date and postcode, so the same person cannot vote twice on paper."""

    __tablename__ = "budget_paper_voter"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_edition.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("edition_id", "fingerprint"),)


class Ballot(db.Model):
    """One ballot per person per envelope, by constraint. Changing it updates
    this row in place: only the last version counts."""

    __tablename__ = "budget_ballot"
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_envelope.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    paper_voter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("budget_paper_voter.id", ondelete="CASCADE"))
    channel: Mapped[BallotChannel] = mapped_column(enum_column(BallotChannel))
    paper_reference: Mapped[str | None] = mapped_column(sa.String(60))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Ordered (the order is the ranking for ranking ballots) and aligned points.
    project_ids: Mapped[list] = mapped_column(sa.JSON)
    points: Mapped[list | None] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    envelope: Mapped[Envelope] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("envelope_id", "user_id", name="uq_budget_ballot_user"),
        sa.UniqueConstraint("envelope_id", "paper_voter_id", name="uq_budget_ballot_paper_voter"),
        sa.UniqueConstraint("envelope_id", "paper_reference", name="uq_budget_ballot_paper_reference"),
        sa.CheckConstraint("channel != 'paper' OR paper_reference IS NOT NULL", name="ck_budget_ballot_paper_ref"),
    )


class BudgetResult(db.Model):
    """The outcome of one rule on one envelope (the edition's rule, and the
    other rule for the comparison panel). Explanations are the rules engine's
    machine-readable records; explain.py phrases them."""

    __tablename__ = "budget_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_envelope.id", ondelete="CASCADE"))
    rule: Mapped[SelectionRule] = mapped_column(enum_column(SelectionRule))
    official: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    selected: Mapped[list] = mapped_column(sa.JSON)
    explanations: Mapped[dict] = mapped_column(sa.JSON)
    scores: Mapped[dict] = mapped_column(sa.JSON)
    supporters: Mapped[dict] = mapped_column(sa.JSON)
    ballots: Mapped[int] = mapped_column(sa.Integer)
    budget: Mapped[int] = mapped_column(sa.BigInteger)
    spent: Mapped[float] = mapped_column(sa.Float)
    seconds: Mapped[float] = mapped_column(sa.Float, default=0)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("envelope_id", "rule"),)


class BudgetDaily(db.Model):
    """Ballots first cast per edition, local day and envelope district (an
    open data series, ``budgets.series``; ``district_id`` NULL: the city-wide
    envelope), recomputed from the ballot rows by a periodic job."""

    __tablename__ = "budget_daily"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_edition.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"))
    ballots: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.Index("ix_budget_daily_edition_day", "edition_id", "day"),
        sa.CheckConstraint("ballots > 0", name="positive"),
    )
