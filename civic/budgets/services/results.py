"""Results: the envelope's vote as a pabulib election, computed with the
pure rules of :mod:`civic.budgets.rules`, and published by an official."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from civic.core import audit, events
from civic.core.errors import InvalidTransition
from civic.core.outbox import queue_mail
from civic.core.permissions import require
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db

from .. import pabulib, permissions, rules
from ..models import (
    KIND,
    RESULTS_FLOW,
    Ballot,
    BudgetEdition,
    BudgetResult,
    Envelope,
    ImplementationStatus,
    ResultsStatus,
    SelectionRule,
    VoteRule,
)
from .projects import ballot_projects

PB_VOTE_TYPES = {VoteRule.APPROVAL: "approval", VoteRule.KNAPSACK: "approval",
                 VoteRule.CUMULATIVE: "cumulative", VoteRule.RANKING: "ordinal"}
PB_RULES = {SelectionRule.GREEDY: "greedy", SelectionRule.GREEDY_STOP: "greedy",
            SelectionRule.EQUAL_SHARES: "equalshares/add1"}


def _election_meta(edition: BudgetEdition, envelope: Envelope, num_projects: int) -> dict:
    meta = {
        "description": f"Participatory budget: {edition.title}",
        "unit": current_app.config.get("SITE_NAME", "Civic"),
        "subunit": envelope.district.name if envelope.district else "city-wide",
        "instance": edition.title,
        "num_projects": str(num_projects),
        "num_votes": "0",
        "budget": str(envelope.amount),
        "vote_type": PB_VOTE_TYPES[edition.vote_rule],
        "rule": PB_RULES[edition.selection_rule],
        "currency": edition.currency,
    }
    if edition.vote_rule == VoteRule.APPROVAL:
        meta["min_length"] = str(edition.min_choices or 1)
        if edition.max_choices:
            meta["max_length"] = str(edition.max_choices)
    elif edition.vote_rule == VoteRule.KNAPSACK:
        meta["max_sum_cost"] = str(envelope.amount)
    elif edition.vote_rule == VoteRule.CUMULATIVE:
        meta["max_sum_points"] = str(edition.points_total)
        meta["max_points"] = str(edition.points_max_per_project or edition.points_total)
    elif edition.vote_rule == VoteRule.RANKING:
        meta["max_length"] = str(edition.rank_max)
    return meta


def build_election(envelope: Envelope, *, with_selected: bool = False):
    """The envelope's vote as a pabulib election: feasible projects (in id
    order) and anonymised ballots. Results are computed from this very object,
    and the open-data export writes it, so anyone recomputes the same outcome."""
    edition = envelope.edition
    projects = ballot_projects(envelope)
    on_ballot = {p.id for p in projects}
    selected = set()
    if with_selected:
        result = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                                 BudgetResult.rule == edition.selection_rule))
        selected = set(result.selected) if result else set()
    meta = _election_meta(edition, envelope, len(projects))
    pb_projects = {}
    for p in projects:
        pb_projects[str(p.id)] = pabulib.Project(
            id=str(p.id), cost=p.cost, name=p.title, fields={"category": p.category or "None"},
            selected=(str(p.id) in selected) if with_selected else None)
    rows = db.session.execute(sa.select(Ballot.project_ids, Ballot.points).where(
        Ballot.envelope_id == envelope.id)).all()
    cumulative = edition.vote_rule == VoteRule.CUMULATIVE
    ballots = []
    for ids, pts in rows:
        keep = [(i, (pts[n] if cumulative and pts else None)) for n, i in enumerate(ids or []) if i in on_ballot]
        if keep:
            ballots.append(keep)
    # Sorted by content, not by time or id: the file reveals nothing about who voted when.
    ballots.sort(key=lambda b: [(i, x or 0) for i, x in b])
    votes = []
    for n, b in enumerate(ballots, start=1):
        votes.append(pabulib.Vote(voter_id=str(n), projects=[str(i) for i, _x in b],
                                  points=[x for _i, x in b] if cumulative else None))
    meta["num_votes"] = str(len(votes))
    return pabulib.Election(meta=meta, projects=pb_projects, votes=votes)


def compute_results(edition: BudgetEdition) -> None:
    """Compute the official rule and the comparison rule for every envelope.
    Idempotent; published results are never recomputed."""
    if edition.results_status == ResultsStatus.PUBLISHED:
        return
    for envelope in edition.envelopes:
        election = build_election(envelope)
        scores = rules.election_scores(election)
        supporters = {pid: 0 for pid in election.projects}
        for v in election.votes:
            for pid in set(v.projects):
                supporters[pid] += 1
        for rule, official in ((edition.selection_rule, True), (edition.other_rule, False)):
            started = time.perf_counter()
            outcome = rules.compute(election, rule.value).to_dict()
            seconds = time.perf_counter() - started
            row = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                                  BudgetResult.rule == rule))
            if row is None:
                row = BudgetResult(envelope_id=envelope.id, rule=rule)
                db.session.add(row)
            row.official = official
            row.selected = outcome["selected"]
            row.explanations = outcome["explanations"]
            row.scores = {k: float(v) if not float(v).is_integer() else int(v) for k, v in scores.items()}
            row.supporters = supporters
            row.ballots = len(election.votes)
            row.budget = envelope.amount
            row.spent = float(outcome["spent"])
            row.seconds = seconds
            row.computed_at = utcnow()
    # Audited below as "budget.results_computed" without from/to, as before the flow helper.
    transition(edition, RESULTS_FLOW, ResultsStatus.COMPUTED, None, None, attr="results_status")
    edition.results_computed_at = utcnow()
    db.session.flush()
    audit.record(None, "budget.results_computed", KIND, edition.id)


def reset_results(edition: BudgetEdition) -> None:
    """Computed results are out of date (the importer added an envelope): they
    are computed again by :func:`compute_results`."""
    if edition.results_status == ResultsStatus.COMPUTED:
        transition(edition, RESULTS_FLOW, ResultsStatus.PENDING, None, None, attr="results_status")


def publish_results(actor, edition: BudgetEdition) -> None:
    """An official publishes computed results: selected projects are marked and
    enter implementation tracking; authors of projects on the ballot are told."""
    require(permissions.can_manage_edition(actor, edition))
    apply_publication(edition, actor)


def apply_publication(edition: BudgetEdition, actor) -> None:
    """Publish without a permission check: for :func:`publish_results` and for
    the importer of past elections (run by the system from the command line)."""
    if edition.results_status != ResultsStatus.COMPUTED:
        raise InvalidTransition(_("There are no computed results to publish."))
    results = {r.envelope_id: r for r in db.session.scalars(sa.select(BudgetResult).join(Envelope).where(
        Envelope.edition_id == edition.id, BudgetResult.rule == edition.selection_rule)).all()}
    for envelope in edition.envelopes:
        chosen = set(results[envelope.id].selected) if envelope.id in results else set()
        for p in ballot_projects(envelope):
            p.selected = str(p.id) in chosen
            if p.selected and p.implementation_status is None:
                # Tracking starts here: the implementation flow begins at PLANNED.
                p.implementation_status = ImplementationStatus.PLANNED
            if p.author is not None and p.author.email and p.author.deleted_at is None:
                queue_mail(p.author.email, lambda: _("The results of the participatory budget are published"),
                           "budgets/results_published",
                           {"user": p.author, "project": p, "edition": edition,
                            "url": absolute_url("budgets.results", edition_id=edition.id)},
                           user=p.author, dedupe_key=f"budget-results:{edition.id}:{p.id}")
    transition(edition, RESULTS_FLOW, ResultsStatus.PUBLISHED, actor, None, attr="results_status")
    edition.results_published_at = utcnow()
    edition.published_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "budget.results_published", KIND, edition.id)
    events.emit(KIND, edition.id, "results_published", actor_id=getattr(actor, "id", None))


def results_for(edition: BudgetEdition) -> dict[int, dict[SelectionRule, BudgetResult]]:
    out: dict[int, dict] = {}
    for r in db.session.scalars(sa.select(BudgetResult).join(Envelope).where(Envelope.edition_id == edition.id)):
        out.setdefault(r.envelope_id, {})[r.rule] = r
    return out
