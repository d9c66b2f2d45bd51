"""Import a past election from a pabulib ``.pb`` file: an edition (or one more
envelope of an edition) with its projects and anonymous ballots.

Used by ``flask civic budgets import FILE.pb`` and by the demo. Ballots are
bulk-inserted (one executemany), so tens of thousands load in seconds.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from civic.core import audit, phases
from civic.core.errors import ValidationError
from civic.core.time import start_of_day, utcnow
from civic.extensions import db

from .models import Ballot, BallotChannel, BudgetEdition, Envelope, Project, ProjectStatus, SelectionRule, VoteRule
from .services import KIND, phase_specs


def vote_rule_of(election) -> VoteRule:
    vote_type = election.vote_type
    if vote_type in ("cumulative", "scoring"):
        return VoteRule.CUMULATIVE
    if vote_type == "ordinal":
        return VoteRule.RANKING
    if vote_type in ("approval", "choose-1"):
        return VoteRule.KNAPSACK if "max_sum_cost" in election.meta else VoteRule.APPROVAL
    raise ValidationError(fields={"file": f"unsupported vote_type {vote_type!r}"})


def selection_rule_of(election) -> SelectionRule:
    rule = election.meta.get("rule", "greedy").lower()
    if "equalshares" in rule.replace("-", "").replace("_", ""):
        return SelectionRule.EQUAL_SHARES
    return SelectionRule.GREEDY


def _int(meta: dict, key: str) -> int | None:
    try:
        return int(float(meta[key]))
    except (KeyError, ValueError):
        return None


def _date(meta: dict, key: str) -> datetime | None:
    """The file's day as the site's local midnight (naive UTC)."""
    raw = meta.get(key, "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return start_of_day(datetime.strptime(raw, fmt).date())
        except ValueError:
            continue
    return None


def _rule_columns(election, vote_rule: VoteRule) -> dict:
    meta = election.meta
    cols = {}
    if vote_rule == VoteRule.APPROVAL:
        cols.update(min_choices=_int(meta, "min_length") or 1, max_choices=_int(meta, "max_length"))
    elif vote_rule == VoteRule.CUMULATIVE:
        longest = max((sum(v.points or []) for v in election.votes), default=1)
        total = _int(meta, "max_sum_points") or longest or 1
        cols.update(points_total=total, points_max_per_project=_int(meta, "max_points") or total)
    elif vote_rule == VoteRule.RANKING:
        cols.update(rank_max=_int(meta, "max_length") or max((len(v.projects) for v in election.votes), default=1))
    return cols


def _past_phases(edition: BudgetEdition, begin: datetime, end: datetime) -> None:
    """Phases of an election that already took place: voting between the file's
    dates, results since; all entered, results current."""
    created = phases.set_phases(None, KIND, edition.id, phase_specs({"voting": begin, "results": end}, None))
    for p in created:
        p.entered_at = p.starts_at
    created[-1].is_current = True
    db.session.flush()


def import_election(election, *, title: str | None = None, edition: BudgetEdition | None = None,
                    district_id: int | None = None, past: bool = True) -> tuple[BudgetEdition, Envelope]:
    """Create an edition (or add an envelope to ``edition``) from a parsed election.

    ``past``: the election already took place; its phases are entered and the
    rules frozen, ready for :func:`civic.budgets.services.compute_results`.
    Projects keep their pabulib id in ``external_id``, in file order (which is
    also the rules' tie-break order).
    """
    vote_rule = vote_rule_of(election)
    budget = election.budget
    amount = int(round(budget))
    now = utcnow()
    if edition is None:
        begin = _date(election.meta, "date_begin") or now - timedelta(days=30)
        end = _date(election.meta, "date_end") or begin + timedelta(days=21)
        if end <= begin:
            end = begin + timedelta(days=1)
        edition = BudgetEdition(
            title=title or " ".join(filter(None, [election.meta.get("unit"), election.meta.get("instance")]))
            or "Imported participatory budget",
            description_html="", currency=(election.meta.get("currency") or "EUR")[:3].upper(),
            total_amount=0, vote_rule=vote_rule, selection_rule=selection_rule_of(election),
            paper_salt=secrets.token_hex(16), rules_frozen_at=end if past else None, published_at=utcnow(),
            **_rule_columns(election, vote_rule))
        db.session.add(edition)
        db.session.flush()
        if past:
            _past_phases(edition, begin, end)
    elif edition.vote_rule != vote_rule:
        raise ValidationError(fields={"file": "the file's vote type differs from the edition's"})
    if db.session.scalar(sa.select(Envelope.id).where(Envelope.edition_id == edition.id,
                                                      Envelope.district_id.is_(None) if district_id is None
                                                      else Envelope.district_id == district_id)):
        raise ValidationError(fields={"district": "the edition already has an envelope for this district"})
    envelope = Envelope(edition=edition, district_id=district_id, amount=amount)
    edition.total_amount += amount
    db.session.add(envelope)
    db.session.flush()

    ids: dict[str, int] = {}
    for pb in election.projects.values():
        p = Project(edition_id=edition.id, envelope_id=envelope.id, title=(pb.name or pb.id)[:200],
                    description="", description_html="", category=(pb.fields.get("category") or "")[:80],
                    estimated_cost=int(round(pb.cost)), final_cost=int(round(pb.cost)),
                    status=ProjectStatus.FEASIBLE, external_id=pb.id[:40], reviewed_at=now)
        db.session.add(p)
        db.session.flush()
        ids[pb.id] = p.id
    cumulative = vote_rule == VoteRule.CUMULATIVE
    rows = []
    for v in election.votes:
        if not v.projects:
            continue
        points = [int(x) for x in v.points] if cumulative and v.points is not None else None
        rows.append({"envelope_id": envelope.id, "channel": BallotChannel.IMPORTED,
                     "project_ids": [ids[p] for p in v.projects], "points": points,
                     "version": 1, "created_at": now, "updated_at": now})
    for i in range(0, len(rows), 5000):
        db.session.execute(sa.insert(Ballot), rows[i:i + 5000])
    db.session.flush()
    audit.record(None, "budget.imported", KIND, edition.id, envelope_id=envelope.id,
                 projects=len(ids), ballots=len(rows))
    return edition, envelope
