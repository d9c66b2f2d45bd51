"""Reading proposals: lists in a fair random order or by newest, supports or
comments; similar-proposal search; a proposal's timeline, versions,
clarifications, amendments and implementation updates."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from civic.core.errors import NotFound, ValidationError
from civic.core.models import AuditEntry
from civic.extensions import db
from civic.processes import permissions
from civic.processes.labels import PUBLIC_EVENTS
from civic.processes.models import (
    OPEN_STATES,
    Amendment,
    Clarification,
    ImplementationUpdate,
    Process,
    Proposal,
    ProposalState,
    ProposalVersion,
)
from civic.processes.services.common import PAGE_SIZE, normalise_search

ORDERS = ("random", "newest", "supports", "comments")
PRIME = 2147483647  # 2**31 - 1: (id * a + b) mod P is a permutation of ids below P


def random_key(seed: int):
    """SQL expression ordering proposals in a pseudo-random order fixed by ``seed``.

    ``(id * a + b) mod P`` with ``a`` and ``b`` derived from the seed is a
    permutation of ids (P prime, a not 0): the same seed gives the same order
    on every page, on SQLite and PostgreSQL alike (64-bit arithmetic).
    """
    a = 1 + seed % (PRIME - 1)
    b = (seed // (PRIME - 1)) % PRIME
    return (sa.cast(Proposal.id, sa.BigInteger) * a + b) % PRIME


@dataclass
class ProposalFilters:
    """What a list of proposals can be narrowed to (``state`` is a ProposalState value)."""

    district_id: int | None = None
    category: str | None = None
    state: str | None = None


def _visible_proposals(user):
    stmt = sa.select(Proposal).join(Process, Process.id == Proposal.process_id)
    if not permissions.can_view_hidden_proposals(user):
        stmt = stmt.where(Proposal.hidden.is_(False))
    if not permissions.can_view_draft_processes(user):
        stmt = stmt.where(Process.published_at.is_not(None))
    return stmt


def list_proposals(user, process_id: int | None = None, filters: ProposalFilters | None = None,
                   order: str = "random", seed: int = 0, page: int = 1,
                   limit: int = PAGE_SIZE, before_id: int | None = None) -> tuple[list[Proposal], bool]:
    """A page of proposals and whether there is a next one; the same number of
    queries whatever the page size (rows, then authors and districts).

    ``order="id"`` with ``before_id`` reads newest first by keyset (the proposals
    below that id) instead of an OFFSET, whose cost grows with the page: the
    open-data export reads every proposal that way."""
    filters = filters or ProposalFilters()
    stmt = _visible_proposals(user)
    if process_id is not None:
        stmt = stmt.where(Proposal.process_id == process_id)
    if filters.district_id is not None:
        stmt = stmt.where(Proposal.district_id == filters.district_id)
    if filters.category:
        stmt = stmt.where(Proposal.category == filters.category)
    if filters.state:
        try:
            stmt = stmt.where(Proposal.state == ProposalState(filters.state))
        except ValueError:
            raise ValidationError(fields={"state": _("Choose a state from the list.")}) from None
    if order == "id":
        stmt = stmt.order_by(Proposal.id.desc())
        if before_id is not None:
            stmt = stmt.where(Proposal.id < before_id)
        page = 1
    elif order == "newest":
        stmt = stmt.order_by(Proposal.created_at.desc(), Proposal.id.desc())
    elif order == "supports":
        stmt = stmt.order_by(Proposal.support_count.desc(), Proposal.id.desc())
    elif order == "comments":
        stmt = stmt.order_by(Proposal.comment_count.desc(), Proposal.id.desc())
    else:
        stmt = stmt.order_by(random_key(seed), Proposal.id)
    stmt = stmt.options(selectinload(Proposal.author), selectinload(Proposal.district))
    rows = db.session.scalars(stmt.offset((max(page, 1) - 1) * limit).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


STOPWORDS = frozenset({
    "the", "and", "for", "with", "that", "this", "from", "into", "about", "more", "less", "their", "there",
    "them", "they", "have", "been", "were", "will", "would", "could", "should", "your", "yours", "ours", "what",
    "when", "where", "which", "while", "pour", "avec", "dans", "sans", "sous", "plus", "moins", "leur", "leurs",
    "nous", "vous", "elle", "elles", "sont", "etre", "avoir", "fait", "faire", "cette", "celui", "celle", "ceux",
    "aussi", "comme", "mais", "donc", "entre", "vers", "chez", "tout", "tous", "toute", "toutes", "tres", "peut",
    "quand", "quel", "quelle", "quels", "quelles", "dont", "avant", "apres", "depuis", "encore", "ville", "rue",
    "place", "proposition", "proposal", "idea", "idee", "project", "projet",
})


def significant_words(text: str, limit: int = 8) -> list[str]:
    """Distinct normalised words of at least 4 letters, stop-words removed, longest first."""
    words = []
    for w in normalise_search(text).split():
        if len(w) >= 4 and w not in STOPWORDS and not w.isdigit() and w not in words:
            words.append(w)
    return sorted(words, key=len, reverse=True)[:limit]


def similar_proposals(user, process: Process, text: str, limit: int = 5) -> list[Proposal]:
    """Open proposals of the process that share significant words with ``text``.

    Portable path: one LIKE per word on the normalised ``search_text``,
    ranked by the number of words found (same results on SQLite and
    PostgreSQL). On PostgreSQL the words are matched with full-text search
    instead (prefix queries, ranked by ts_rank), which also uses stemming-free
    word boundaries.
    """
    words = significant_words(text)
    if not words:
        return []
    stmt = _visible_proposals(user).where(Proposal.process_id == process.id,
                                          Proposal.state.in_(OPEN_STATES))
    if db.engine.dialect.name == "postgresql":
        vector = sa.func.to_tsvector("simple", Proposal.search_text)
        query = sa.func.to_tsquery("simple", " | ".join(f"{w}:*" for w in words))
        score = sa.func.ts_rank(vector, query)
        stmt = stmt.where(vector.op("@@")(query))
    else:
        matches = [sa.case((Proposal.search_text.like(f"%{w}%"), 1), else_=0) for w in words]
        score = sum(matches[1:], matches[0])
        stmt = stmt.where(score > 0)
    return db.session.scalars(stmt.order_by(score.desc(), Proposal.support_count.desc(), Proposal.id)
                              .limit(limit)).all()


def proposal_history(proposal: Proposal) -> list[AuditEntry]:
    """Public events of a proposal, oldest first (the accountability timeline)."""
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.kind == "proposal", AuditEntry.object_id == proposal.id,
        AuditEntry.action.in_(PUBLIC_EVENTS)).order_by(AuditEntry.created_at, AuditEntry.id)).all()


def versions(proposal: Proposal) -> list[ProposalVersion]:
    """Every text the proposal had, first to current."""
    return db.session.scalars(sa.select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)
                              .order_by(ProposalVersion.number)).all()


def clarifications(proposal: Proposal) -> list[Clarification]:
    """The author's dated clarifications, oldest first."""
    return db.session.scalars(sa.select(Clarification).where(Clarification.proposal_id == proposal.id)
                              .order_by(Clarification.created_at, Clarification.id)).all()


def amendments(user, proposal: Proposal) -> list[Amendment]:
    """A proposal's amendments, oldest first (hidden ones only for its moderators)."""
    stmt = sa.select(Amendment).where(Amendment.proposal_id == proposal.id).options(selectinload(Amendment.author))
    if not permissions.can_view_hidden_amendments(user, proposal):
        stmt = stmt.where(Amendment.hidden.is_(False))
    return db.session.scalars(stmt.order_by(Amendment.created_at, Amendment.id)).all()


def implementation_updates(proposal: Proposal) -> list[ImplementationUpdate]:
    """The follow-up of an accepted proposal, oldest first."""
    return db.session.scalars(sa.select(ImplementationUpdate).where(ImplementationUpdate.proposal_id == proposal.id)
                              .order_by(ImplementationUpdate.created_at, ImplementationUpdate.id)).all()


def latest_progress(proposal_ids: list[int]) -> dict[int, int]:
    """The progress of the latest implementation update of each proposal (one query)."""
    if not proposal_ids:
        return {}
    rows = db.session.execute(sa.select(ImplementationUpdate.proposal_id, ImplementationUpdate.progress).where(
        ImplementationUpdate.proposal_id.in_(proposal_ids)).order_by(ImplementationUpdate.created_at,
                                                                      ImplementationUpdate.id)).all()
    return {pid: progress for pid, progress in rows}  # later rows overwrite earlier ones


def awaiting_answer(process: Process) -> list[Proposal]:
    """Proposals of a process in the officials' queue without an answer, by due date."""
    return db.session.scalars(sa.select(Proposal).where(
        Proposal.process_id == process.id, Proposal.queued_at.is_not(None), Proposal.answered_at.is_(None),
        Proposal.state.in_(OPEN_STATES)).order_by(Proposal.answer_due_at, Proposal.id)).all()


def get_process(process_id: int, user) -> Process:
    """The process if ``user`` may see it (NotFound otherwise: a draft does not leak)."""
    process = db.session.get(Process, process_id)
    if process is None or not permissions.can_view_process(user, process):
        raise NotFound()
    return process


def get_proposal(proposal_id: int, user) -> Proposal:
    """The proposal if ``user`` may see it (NotFound otherwise, hidden ones included)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not permissions.can_view_proposal(user, proposal):
        raise NotFound()
    return proposal


def get_amendment(amendment_id: int) -> Amendment:
    """The amendment by id (its proposal's visibility is the caller's check)."""
    a = db.session.get(Amendment, amendment_id)
    if a is None:
        raise NotFound()
    return a
