"""Petitions, their signatures, tallies, official answers and moderation tools.

Counting (DESIGN.md, house rule 5): the signing request inserts one
``Signature`` row and never writes the petition row. Every change that can
alter what a row contributes to the totals (confirmation, withdrawal,
invalidation, a paper signature) sets ``Signature.dirty``. The tally job takes
dirty rows, folds ``should_count - counted`` into the petition and district
counters and clears ``dirty`` / sets ``counted`` *in the same transaction*.
So at every commit ``petition.signature_count == count(rows where counted)``:
a tally killed half-way rolls back whole, and a row committed late (an
out-of-order commit) is simply still dirty at the next run. The nightly
reconciliation recounts the ``counted`` rows to prove it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db


class PetitionState(enum.StrEnum):
    DRAFT = "draft"
    SPONSORS = "sponsors"          # collecting sponsors
    MODERATION = "moderation"      # awaiting moderation
    OPEN = "open"
    CLOSED = "closed"
    REJECTED = "rejected"          # public, with a coded reason
    HIDDEN = "hidden"              # rejected for a reason that must not be shown
    REMOVED = "removed"            # was public, taken down: 410 Gone


# States in which the petition is shown to everyone.
PUBLIC_STATES = (PetitionState.OPEN, PetitionState.CLOSED, PetitionState.REJECTED)

# Every move a petition's state may make (civic.core.transitions.transition):
# a draft goes to sponsors, then to the moderators, who publish, reject or
# hide it; an open petition closes; a public one may be removed, and a removal
# or a hiding undone (back to the state before, or to the moderators). The
# moderation hook may hide a petition before it is public.
_P = PetitionState
FLOW: dict[PetitionState, set[PetitionState]] = {
    _P.DRAFT: {_P.SPONSORS, _P.HIDDEN},
    _P.SPONSORS: {_P.MODERATION, _P.HIDDEN},
    _P.MODERATION: {_P.OPEN, _P.REJECTED, _P.HIDDEN},
    _P.OPEN: {_P.CLOSED, _P.REMOVED},
    _P.CLOSED: {_P.REMOVED},
    _P.REJECTED: {_P.REMOVED},
    _P.HIDDEN: {_P.MODERATION},
    _P.REMOVED: {_P.OPEN, _P.CLOSED, _P.REJECTED},
}


class SignatureState(enum.StrEnum):
    PENDING = "pending"            # waiting for the email confirmation
    VALIDATED = "validated"
    WITHDRAWN = "withdrawn"
    INVALIDATED = "invalidated"    # by a moderator's invalidation run


class SignatureSource(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


class Petition(db.Model):
    __tablename__ = "petition"
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[PetitionState] = mapped_column(enum_column(PetitionState), default=PetitionState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(sa.String(80))
    background: Mapped[str] = mapped_column(sa.String(300))
    details: Mapped[str] = mapped_column(sa.String(800), default="")
    topic: Mapped[str] = mapped_column(sa.String(30), default="other", index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"), index=True)
    decision_maker: Mapped[str | None] = mapped_column(sa.String(120))
    creator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Random part of the sponsors' share link.
    sponsor_token: Mapped[str] = mapped_column(sa.String(40), unique=True)

    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)        # started collecting sponsors
    moderation_at: Mapped[datetime | None] = mapped_column(sa.DateTime)       # reached the moderators
    opened_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closes_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(sa.DateTime)         # rejected or hidden
    removed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Coded reason (rejection, hiding, removal) and the moderator's explanation.
    reason_code: Mapped[str | None] = mapped_column(sa.String(30))
    reason_text: Mapped[str | None] = mapped_column(sa.Text)
    # Where a removed petition goes back to if moderation restores it.
    state_before_removal: Mapped[PetitionState | None] = mapped_column(enum_column(PetitionState, name="state_before_removal"))

    # A petition being moderated is locked to one moderator for a while.
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)

    # Thresholds are copied from the settings when the petition opens.
    response_threshold: Mapped[int | None] = mapped_column(sa.Integer)
    debate_threshold: Mapped[int | None] = mapped_column(sa.Integer)
    response_threshold_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    debate_threshold_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    response_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    # Written only by the tally job (and the reconciliation).
    signature_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    paper_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    tallied_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    signers_anonymised_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    district = relationship("District")
    creator = relationship("User", foreign_keys=[creator_id])

    __table_args__ = (
        sa.CheckConstraint("signature_count >= 0 AND paper_count >= 0 AND paper_count <= signature_count",
                           name="counts"),
        sa.CheckConstraint("state <> 'open' OR (opened_at IS NOT NULL AND closes_at IS NOT NULL)",
                           name="open_dates"),
    )

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def next_threshold(self) -> int | None:
        for t in (self.response_threshold, self.debate_threshold):
            if t and self.signature_count < t:
                return t
        return None

    @property
    def response_overdue(self) -> bool:
        return bool(self.response_due_at and self.response_due_at < utcnow() and not self.answer("response"))

    def answer(self, kind: str):
        for n in self.news:
            if n.kind == kind:
                return n
        return None

    news: Mapped[list[PetitionNews]] = relationship(back_populates="petition", order_by="PetitionNews.published_at",
                                                    cascade="all, delete-orphan")


class Signature(db.Model):
    __tablename__ = "petition_signature"
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petition.id", ondelete="CASCADE"))
    state: Mapped[SignatureState] = mapped_column(enum_column(SignatureState), default=SignatureState.PENDING)
    source: Mapped[SignatureSource] = mapped_column(enum_column(SignatureSource), default=SignatureSource.ONLINE)
    sponsor: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Personal data: NULL once anonymised (retention) or erased (account deleted).
    name: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    # One signature per mailbox and petition (lower-case, +tag and Gmail dots removed).
    canonical_email: Mapped[str | None] = mapped_column(sa.String(320))
    email_domain: Mapped[str | None] = mapped_column(sa.String(255))
    postcode: Mapped[str | None] = mapped_column(sa.String(12))
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    notify: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    # Part of the signed token in the mail links; changed on re-signing and
    # cleared on anonymisation, which kills old links.
    nonce: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    validated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Over a rate limit: accepted and mailed as usual, never counted.
    flagged: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Confirmation mails: the row is its own outbox entry (the request inserts
    # one row); a job turns pending rows into outbox mail.
    mail_pending: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    mails_sent: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Tally bookkeeping (see the module docstring).
    counted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    dirty: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Paper signatures recorded by a mediator.
    paper_date: Mapped[date | None] = mapped_column(sa.Date)
    paper_batch: Mapped[str | None] = mapped_column(sa.String(60))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    anonymised: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    petition: Mapped[Petition] = relationship()
    district = relationship("District")

    __table_args__ = (
        # One person, one voice, by database constraint (paper rows have no email: NULLs are distinct).
        sa.UniqueConstraint("petition_id", "canonical_email"),
        sa.Index("ix_petition_signature_petition_state", "petition_id", "state"),
        sa.Index("ix_petition_signature_dirty", "id", postgresql_where=sa.text("dirty"),
                 sqlite_where=sa.text("dirty")),
        sa.Index("ix_petition_signature_mail_pending", "id", postgresql_where=sa.text("mail_pending"),
                 sqlite_where=sa.text("mail_pending")),
        sa.Index("ix_petition_signature_created", "created_at"),
        # The daily series count paper signatures by the date on the form
        # (petitions.series); without it each day scanned the whole table.
        sa.Index("ix_petition_signature_paper_date", "paper_date", postgresql_where=sa.text("paper_date IS NOT NULL"),
                 sqlite_where=sa.text("paper_date IS NOT NULL")),
        sa.CheckConstraint("NOT (counted AND flagged)", name="flagged_never_counted"),
    )

    @property
    def should_count(self) -> bool:
        return self.state == SignatureState.VALIDATED and not self.flagged


class DistrictCount(db.Model):
    """Tallied signatures of a petition per district (``district_id`` NULL:
    postcode outside every district). Survives the anonymisation of signers."""

    __tablename__ = "petition_district_count"
    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petition.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(sa.Integer, default=0)

    district = relationship("District")

    __table_args__ = (
        sa.UniqueConstraint("petition_id", "district_id"),
        sa.Index("uq_petition_district_count_none", "petition_id", unique=True,
                 sqlite_where=sa.text("district_id IS NULL"), postgresql_where=sa.text("district_id IS NULL")),
        sa.CheckConstraint("count >= 0", name="positive"),
    )


class NewsKind(enum.StrEnum):
    RESPONSE = "response"
    DEBATE = "debate"
    UPDATE = "update"


class PetitionNews(db.Model):
    """An official response, a debate outcome or a creator's update, mailed
    to the signers who opted in (``mailed_up_to`` is the signature-id watermark
    of the batches already queued; the outbox dedupe key makes a replay harmless)."""

    __tablename__ = "petition_news"
    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petition.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NewsKind] = mapped_column(enum_column(NewsKind))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.String(600))
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[str | None] = mapped_column(sa.String(30))
    debate_date: Mapped[date | None] = mapped_column(sa.Date)
    debate_url: Mapped[str | None] = mapped_column(sa.String(500))
    published_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    mailed_up_to: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    mailing_done_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    petition: Mapped[Petition] = relationship(back_populates="news")
    author = relationship("User")

    __table_args__ = (
        # One official response and one debate outcome per petition.
        sa.Index("uq_petition_news_answer", "petition_id", "kind", unique=True,
                 sqlite_where=sa.text("kind IN ('response', 'debate')"),
                 postgresql_where=sa.text("kind IN ('response', 'debate')")),
    )


class SigningPause(db.Model):
    """A site-wide pause of signing; open petitions' deadlines are extended
    by its length (in whole days) when it ends."""

    __tablename__ = "petition_signing_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    extended_days: Mapped[int | None] = mapped_column(sa.Integer)


class InvalidationRun(db.Model):
    """A moderator's invalidation of signatures matching criteria, run by a job."""

    __tablename__ = "petition_invalidation"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    criteria: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text)
    previewed: Mapped[int] = mapped_column(sa.Integer, default=0)
    invalidated: Mapped[int] = mapped_column(sa.Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    created_by = relationship("User")


class TrafficReport(db.Model):
    """Hourly report line: an IP or an email domain with unusual volume on a petition."""

    __tablename__ = "petition_traffic_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petition.id", ondelete="CASCADE"))
    key_type: Mapped[str] = mapped_column(sa.String(10))   # "ip" or "domain"
    key: Mapped[str] = mapped_column(sa.String(255))
    count: Mapped[int] = mapped_column(sa.Integer)

    petition = relationship("Petition")

    __table_args__ = (sa.UniqueConstraint("hour", "petition_id", "key_type", "key"),)


class PetitionDaily(db.Model):
    """Counted signatures of a petition per local day and district (an open
    data series, ``petitions.series``). Recomputed from the signature rows by
    a periodic job; kept after the signers are anonymised (their district and
    day stay on the rows). ``district_id`` NULL: outside every district."""

    __tablename__ = "petition_daily"
    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petition.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"))
    signatures: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        sa.Index("ix_petition_daily_petition_day", "petition_id", "day"),
        sa.CheckConstraint("signatures > 0", name="positive"),
    )
