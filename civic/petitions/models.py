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


class LegalKind(enum.StrEnum):
    """The two requests of CGCT art. L1112-16."""
    CONSULTATION = "I"     # put the organisation of a consultation on the council's agenda
    DELIBERATION = "II"    # put a matter on the agenda, to ask the council to decide in a given direction


class AuthorityType(enum.StrEnum):
    COMMUNE = "commune"    # one tenth of the registered electors
    OTHER = "other"        # EPCI, département, région: one twentieth


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

    # A request to the council under CGCT L1112-16 (NULL: an ordinary petition).
    # Its threshold is a share of the roll in force when it opens, frozen
    # with the roll's id and count; its steps are dated as the law orders them.
    legal_kind: Mapped[LegalKind | None] = mapped_column(enum_column(LegalKind, length=4))
    authority: Mapped[str | None] = mapped_column(sa.String(160))
    authority_type: Mapped[AuthorityType | None] = mapped_column(enum_column(AuthorityType, length=10))
    threshold_from_roll: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    roll_id: Mapped[int | None] = mapped_column(sa.ForeignKey("electoral_roll.id", ondelete="SET NULL"))
    roll_elector_count: Mapped[int | None] = mapped_column(sa.Integer)
    legal_transmitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    legal_acknowledged_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    legal_acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    legal_informed_session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_session.id", ondelete="SET NULL"))
    legal_informed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    legal_decided_on: Mapped[date | None] = mapped_column(sa.Date)
    legal_decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    legal_deliberation_number: Mapped[str | None] = mapped_column(sa.String(40))
    legal_decision_html: Mapped[str | None] = mapped_column(sa.Text)
    legal_deliberation_url: Mapped[str | None] = mapped_column(sa.String(500))
    legal_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    district = relationship("District")
    informed_session = relationship("CouncilSession")
    creator = relationship("User", foreign_keys=[creator_id])

    __table_args__ = (
        sa.CheckConstraint("signature_count >= 0 AND paper_count >= 0 AND paper_count <= signature_count",
                           name="counts"),
        sa.CheckConstraint("state <> 'open' OR (opened_at IS NOT NULL AND closes_at IS NOT NULL)",
                           name="open_dates"),
        sa.CheckConstraint("legal_kind IS NULL OR (authority IS NOT NULL AND authority_type IS NOT NULL)",
                           name="legal_authority"),
    )

    @property
    def is_legal(self) -> bool:
        return self.legal_kind is not None

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


class CouncilSession(db.Model):
    """A session of the council (or of another authority's assembly) in the
    calendar the administrators keep: a legal request is due at the first
    session after its receipt (CGCT L1112-16)."""

    __tablename__ = "council_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(sa.Date, index=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    authority: Mapped[str] = mapped_column(sa.String(160))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class LegalSignatureQuarter(db.Model):
    """One elector's signature of a legal request to an authority in a
    quarter (CGCT L1112-16: each quarter, an elector signs only one request
    to the same authority). The unique constraint is the rule: two
    concurrent signatures cannot both be inserted. The key is the elector's
    identity hash on the roll, not the account, so two accounts of one
    person count once."""

    __tablename__ = "legal_signature_quarter"
    id: Mapped[int] = mapped_column(primary_key=True)
    identity_hash: Mapped[str] = mapped_column(sa.String(64))
    authority: Mapped[str] = mapped_column(sa.String(160))
    quarter: Mapped[str] = mapped_column(sa.String(7))   # "2026-Q4", in the city's time zone
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petition.id", ondelete="CASCADE"), index=True)
    signature_id: Mapped[int | None] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), sa.ForeignKey("petition_signature.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    petition = relationship("Petition")

    __table_args__ = (
        sa.UniqueConstraint("identity_hash", "authority", "quarter"),
        # One elector, one voice on a request, whatever the account or the quarter.
        sa.UniqueConstraint("identity_hash", "petition_id"),
    )
