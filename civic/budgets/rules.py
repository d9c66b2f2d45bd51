"""Participatory-budgeting voting rules: greedy, greedy-stop and the Method of Equal Shares.

Everything here is pure Python on plain data (project ids, costs, ballots), so
the web layer, the CLI and the tests share one implementation.  Every rule
returns a :class:`RuleResult` whose ``explanations`` say, per project and in
machine-readable codes and numbers, why it was or was not funded; the web layer
turns those codes into sentences.

Exactness: money is computed with integers and :class:`fractions.Fraction`
only (a cost or budget given as a float is read as the decimal it prints
as), so results do not depend on rounding and match pabutools, which
computes with exact rationals.  Floats appear only in the human-facing
numbers of the explanations.

Tie-breaking (documented once here, used by all rules): among projects with
the same score (greedy) or the same price per unit of utility (equal shares),
the one with *more supporters* comes first for equal shares, then for every
rule the *cheaper* project, then the project listed *first* in the input (file
order).  A ``tie_break`` callable can replace the part after the score: it maps
a project id to a sort key (smaller wins); input order still settles any
remaining tie.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from civic.budgets.pabulib import Election

__all__ = [
    "RULES",
    "RuleResult",
    "compute",
    "election_ballots",
    "election_scores",
    "equal_shares",
    "greedy",
    "greedy_stop",
]

Number = int | float | Fraction
TieBreak = Callable[[str], Any]

RULES = ("greedy", "greedy-stop", "equal-shares")
COMPLETIONS = ("none", "add1", "add1+greedy")
UTILITIES = ("cost", "approval")


@dataclass
class RuleResult:
    """Outcome of a voting rule.

    ``selected`` lists the funded project ids in the order the rule picked
    them.  ``explanations`` maps *every* project id to a dict with at least
    ``project``, ``selected`` (bool) and ``reason`` (a code such as
    ``"selected"``, ``"did_not_fit"``, ``"supporters_budget_exhausted"``)
    plus the numbers needed to phrase it; see each rule's docstring for the
    codes it emits.  ``details`` holds rule-level numbers (e.g. the final
    per-voter endowment of equal shares).
    """

    rule: str
    selected: list[str]
    explanations: dict[str, dict[str, Any]]
    budget: Number
    spent: Number
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (exact fractions become floats)."""
        return {
            "rule": self.rule,
            "selected": list(self.selected),
            "budget": _plain(self.budget),
            "spent": _plain(self.spent),
            "details": {k: _plain(v) for k, v in self.details.items()},
            "explanations": {pid: {k: _plain(v) for k, v in rec.items()} for pid, rec in self.explanations.items()},
        }


def _plain(value: Any) -> Any:
    """Turn exact numbers into JSON-friendly ones: integral → int, else float."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _money(value: Number) -> int | float:
    """Amount for display in an explanation: int when whole, else rounded to cents."""
    if isinstance(value, int):
        return value
    if value == int(value):
        return int(value)
    return round(float(value), 2)


def _exact(value: Any) -> int | Fraction:
    """Exact version of a cost/budget: ints stay ints, floats are read as the
    decimal they print as (``0.1`` → 1/10, like pabutools reading the file)."""
    if isinstance(value, (int, Fraction)):
        return value
    if isinstance(value, float):
        exact = Fraction(repr(value))
        return int(exact) if exact.denominator == 1 else exact
    return _exact(float(value))


def _costs(projects: Mapping[str, Any]) -> dict[str, int | Fraction]:
    """Accept ``{id: cost}`` or ``{id: Project}`` (anything with ``.cost``)."""
    return {pid: _exact(p.cost if hasattr(p, "cost") else p) for pid, p in projects.items()}


# ---------------------------------------------------------------------------
# Scores and ballots from a parsed election
# ---------------------------------------------------------------------------


def election_scores(election: Election) -> dict[str, Number]:
    """Score of every project for the greedy rules, as the official counts do it.

    * ``approval`` / ``choose-1``: number of voters who selected the project.
    * ``cumulative`` / ``scoring``: sum of the points given to the project
      (a ballot without points gives 1 point per listed project).
    * ``ordinal``: positional points, the first choice getting ``max_length``
      points (from META, else the longest ballot), the second one point less,
      and so on.  This is what Kraków 2024 used: its ``score`` column equals
      3/2/1 points for the 1st/2nd/3rd choice, and greedy by that score (not by
      the number of voters ranking a project) reproduces its ``selected``
      column.
    """
    scores: dict[str, Number] = {pid: 0 for pid in election.projects}
    vote_type = election.vote_type
    if vote_type == "ordinal":
        if "max_length" in election.meta:
            top = int(election.meta["max_length"])
        else:
            top = max((len(v.projects) for v in election.votes), default=0)
        for vote in election.votes:
            for position, pid in enumerate(vote.projects):
                # A ballot longer than max_length would otherwise give negative points.
                scores[pid] += max(top - position, 0)
    elif vote_type in ("cumulative", "scoring"):
        for vote in election.votes:
            points = vote.points if vote.points is not None else [1] * len(vote.projects)
            for pid, pts in zip(vote.projects, points, strict=True):
                scores[pid] += pts
    else:
        for vote in election.votes:
            for pid in set(vote.projects):
                scores[pid] += 1
    return scores


def election_ballots(election: Election) -> list[list[str]]:
    """Ballots as approval sets for equal shares: every project a voter listed
    (approved, ranked, or given points) counts as approved.  For ordinal
    ballots this is what pabutools' ``Cost_Sat`` does (a ranked project gives
    its cost as utility, whatever its rank)."""
    return [vote.projects for vote in election.votes]


# ---------------------------------------------------------------------------
# Greedy
# ---------------------------------------------------------------------------


def _greedy_order(costs: Mapping[str, Number], scores: Mapping[str, Number], tie_break: TieBreak | None) -> list[str]:
    position = {pid: i for i, pid in enumerate(costs)}
    if tie_break is None:
        return sorted(costs, key=lambda p: (-scores.get(p, 0), costs[p], position[p]))
    return sorted(costs, key=lambda p: (-scores.get(p, 0), tie_break(p), position[p]))


def greedy(
    projects: Mapping[str, Any],
    budget: Number,
    scores: Mapping[str, Number],
    tie_break: TieBreak | None = None,
    *,
    stop_at_first_misfit: bool = False,
) -> RuleResult:
    """Greedy selection by score, skipping projects that no longer fit.

    Projects (``{id: cost}`` or ``{id: Project}``) are ranked by ``scores``
    (highest first; ties: cheaper first, then input order, or ``tie_break``)
    and funded in that order whenever their cost fits in what is left of
    ``budget``.  A project that does not fit is skipped and the next one is
    tried.  Projects with a score of zero (nobody voted for them) are never
    funded, even when money is left.

    Explanation codes (``reason``): ``selected``; ``did_not_fit`` (with
    ``budget_left`` at the moment it was reached and its ``cost``);
    ``no_votes``; for :func:`greedy_stop` also ``not_reached`` (with
    ``stopped_at``, the project that ended the selection).  Every record also
    carries ``rank`` (1-based position in the ranking), ``score`` and ``cost``.
    """
    costs = _costs(projects)
    budget = _exact(budget)
    order = _greedy_order(costs, scores, tie_break)
    left = budget
    selected: list[str] = []
    explanations: dict[str, dict[str, Any]] = {}
    stopped_at: str | None = None
    for rank, pid in enumerate(order, start=1):
        cost, score = costs[pid], scores.get(pid, 0)
        record: dict[str, Any] = {
            "project": pid,
            "selected": False,
            "rank": rank,
            "score": score,
            "cost": _money(cost),
        }
        if score <= 0:
            record.update(reason="no_votes")
        elif stopped_at is not None:
            record.update(reason="not_reached", stopped_at=stopped_at)
        elif cost <= left:
            record.update(
                selected=True,
                reason="selected",
                budget_left=_money(left),
                budget_left_after=_money(left - cost),
            )
            left -= cost
            selected.append(pid)
        else:
            record.update(reason="did_not_fit", budget_left=_money(left))
            if stop_at_first_misfit:
                stopped_at = pid
        explanations[pid] = record
    return RuleResult(
        rule="greedy-stop" if stop_at_first_misfit else "greedy",
        selected=selected,
        explanations=explanations,
        budget=budget,
        spent=budget - left,
        details={"budget_left": left},
    )


def greedy_stop(
    projects: Mapping[str, Any],
    budget: Number,
    scores: Mapping[str, Number],
    tie_break: TieBreak | None = None,
) -> RuleResult:
    """Greedy that stops at the first project that does not fit.

    Same ranking as :func:`greedy`; the first project whose cost exceeds the
    remaining budget gets ``did_not_fit`` and every project ranked below it
    gets ``not_reached`` (``stopped_at`` names the project that stopped it),
    even if it would have fitted.
    """
    return greedy(projects, budget, scores, tie_break, stop_at_first_misfit=True)


# ---------------------------------------------------------------------------
# Method of Equal Shares
# ---------------------------------------------------------------------------

_ZERO = -1  # state id of voters whose money is gone; they are dropped from histograms


class _MES:
    """Method of Equal Shares on grouped ballots, with exact arithmetic.

    Speed comes from three observations that keep the computation exact:

    1. Voters with the same approval set are interchangeable: they start with
       the same money and, since every supporter of a project is asked for
       the same share, always pay the same.  They form one weighted *group*.
    2. A voter's money is either zero or ``endowment - (sum of the shares it
       paid in full)``, so there are few distinct money values.  Each value is
       a *state*; every project keeps a histogram ``state -> number of its
       supporters in that state``.  Computing a project's price only sorts
       that short histogram instead of all its supporters.
    3. Money only decreases, so a project's price only increases: the price
       computed earlier is a lower bound.  A heap ordered by that bound lets
       each round re-price only the projects that might win (lazy evaluation),
       and only the supporters of the funded project are updated.

    Prices: with *cost* utilities a supporter of project ``p`` gets utility
    ``cost(p)`` and pays ``min(money, rho * cost(p))``; with *approval*
    utilities utility is 1 and the payment ``min(money, rho)``.  Either way
    all supporters are asked the same share ``q`` and the round funds the
    project with the smallest ``rho`` (``q / cost`` resp. ``q``).
    """

    def __init__(
        self,
        costs: Mapping[str, int | Fraction],
        ballots: Iterable[Iterable[str]],
        utilities: str,
        tie_break: TieBreak | None,
    ):
        self.ids = list(costs)
        index = {pid: i for i, pid in enumerate(self.ids)}
        self.costs = [costs[pid] for pid in self.ids]
        counts: dict[frozenset[int], int] = {}
        n_voters = 0
        for ballot in ballots:
            n_voters += 1
            try:
                key = frozenset(index[pid] for pid in ballot)
            except KeyError as exc:
                raise ValueError(f"ballot {n_voters} names unknown project {exc.args[0]!r}") from None
            counts[key] = counts.get(key, 0) + 1
        self.n_voters = n_voters
        self.supporters_count = [0] * len(self.ids)
        for key, weight in counts.items():
            for p in key:
                self.supporters_count[p] += weight
        # Zero-cost projects cost nobody anything; like pabutools they are
        # funded up front when somebody wants them.
        self.free = [p for p in range(len(self.ids)) if self.costs[p] == 0 and self.supporters_count[p] > 0]
        self.candidates = [p for p in range(len(self.ids)) if self.costs[p] > 0 and self.supporters_count[p] > 0]
        relevant = set(self.candidates)
        # Only candidate projects matter inside a run; ballots that become
        # identical once the others are dropped merge into one group.
        merged: dict[tuple[int, ...], int] = {}
        for key, weight in counts.items():
            trimmed = tuple(sorted(p for p in key if p in relevant))
            if trimmed:
                merged[trimmed] = merged.get(trimmed, 0) + weight
        self.group_ballot = list(merged)
        self.group_weight = list(merged.values())
        self.group_supporters: list[list[int]] = [[] for _ in self.ids]
        for g, ballot in enumerate(self.group_ballot):
            for p in ballot:
                self.group_supporters[p].append(g)
        self.by_cost = utilities == "cost"
        self.cost_denominator = math.lcm(*(Fraction(c).denominator for c in self.costs))
        if tie_break is None:
            self.tb = [(-self.supporters_count[p], self.costs[p], p) for p in range(len(self.ids))]
        else:
            self.tb = [(tie_break(pid), p) for p, pid in enumerate(self.ids)]

    def run(
        self,
        endowment: Fraction,
        limit: Number | None = None,
        record: bool = False,
        track: bool = False,
    ) -> tuple[list[int], Number, list[dict[str, Any]], int | float]:
        """One fresh run of MES with ``endowment`` per voter.

        Returns ``(selected project indices in order, total cost, rounds,
        horizon)``; see :class:`_Run` for the meaning of each.
        """
        state = _Run(self, endowment, record=record, track=track)
        selected, total, until = state.play(limit)
        return selected, total, state.rounds, until - endowment

    def _price(
        self,
        p: int,
        hist: dict[int, int],
        value: list[int],
        slope: list[int] | None,
        scale: int,
    ) -> tuple[Any, ...]:
        """Price project ``p``: the smallest share ``q`` such that supporters
        paying ``min(money, q)`` cover its cost.

        Returns ``(qa, qb, rich)`` meaning ``q = (qa + qb*k) / rich`` units
        at endowment + k (``qb`` is 0 when ``slope`` is None, i.e. not
        tracking), or ``(None, horizon)`` if all their money is not enough,
        the horizon saying for how many more currency units that stays so.

        Whichever supporters are taken as "paying all they have", the formula
        never exceeds the true share (it assumes each of them pays at least
        what it really pays), so an outdated formula is still a lower bound
        on the price: only the price of a project being funded needs its
        split into poor and rich supporters to stay valid, and that is
        checked when it is funded.

        Supporters are scanned from the poorest: while the poorest cannot pay
        the equal split of what remains, it pays everything it has and drops
        out.  Equal money values pass or fail together, so scanning states
        (not voters) gives exactly pabutools' result.
        """
        cost = int(self.costs[p] * scale)
        rich = sum(hist.values())
        paid = paid_slope = 0
        for st, w in sorted(hist.items(), key=lambda item: value[item[0]]):
            v = value[st]
            # Division-free form of "(cost - paid) / rich <= v".
            if cost - paid <= v * rich:
                break
            paid += v * w
            if slope is not None:
                paid_slope += slope[st] * w
            rich -= w
        else:
            if slope is None:
                return None, 0
            # Dropped: the supporters' money must stay below the cost.
            return None, _last_ok(cost - paid, -paid_slope, True)
        return cost - paid, -paid_slope, rich

    def _winner_horizon(self, winner: int, alive: list[bool], key: list[Any]) -> int | float:
        """How long ``winner`` keeps beating every other live project."""
        wa, wb, wd, _ = key[winner]
        wtb = self.tb[winner]
        horizon: int | float = math.inf
        for r in self.candidates:
            if not alive[r]:
                continue
            ra, rb, rd, _ = key[r]
            # key_r - key_winner, multiplied by both positive denominators.
            d1 = rb * wd - wb * rd
            if d1 >= 0:
                continue
            d0 = ra * wd - wa * rd
            horizon = min(horizon, _last_ok(d0, d1, self.tb[r] < wtb))
            if horizon == 0:
                break
        return horizon


class _Run:
    """The state of one MES computation, resumable at a higher endowment.

    Money is held as integers counting units of ``1/scale``: comparing and
    sorting Fractions dominated the run time, and integers are exact too.
    When a share is not a whole number of units the scale is multiplied up,
    together with every stored amount.

    Voters' money lives in *states* (see :class:`_MES`): ``value[state]``
    units, and ``gstate[group]`` is the state of each ballot group (``_ZERO``
    once its money is gone).  ``hist[p]`` counts project ``p``'s supporters
    per state.

    **Horizon** (only with ``track``).  Every amount is an affine function of
    the endowment as long as the run makes the same decisions: a voter's money
    is ``endowment - shares paid``, and each share solves a linear equation.
    ``slope[state]`` is how many units the state's money gains per extra
    currency unit of endowment.  Each decision therefore stays the same up to
    a threshold computed exactly (:func:`_last_ok`); ``horizon`` counts the
    whole currency units above ``origin`` up to which all decisions made so
    far provably stay the same (``until`` = ``origin + horizon``).  Decisions:

    * dropping a project: its supporters' money is below its cost;
    * funding the winner: its price per unit of utility is below the
      (possibly outdated, hence lower-bound, see :meth:`_MES._price`) price
      of every other live project, or equal with a winning tie-break; which
      of its supporters pay all they have (money <= share) and which pay the
      share and keep some money (money > share).

    With tracking, the state at the start of every round is saved while it
    is still valid at a higher endowment; :meth:`resume` restarts from the
    latest round that is still valid at the new endowment, re-evaluating the
    affine amounts there, instead of recomputing the early rounds (the
    expensive ones: they fund the most popular projects).
    """

    def __init__(self, mes: _MES, endowment: Fraction, record: bool = False, track: bool = False):
        self.mes = mes
        self.record = record
        self.track = track
        self.origin = endowment
        self.scale = math.lcm(endowment.denominator, mes.cost_denominator)
        self.value = [endowment.numerator * (self.scale // endowment.denominator)]
        self.slope = [self.scale]
        # Whole currency units above ``origin`` up to which every decision
        # made so far provably holds (an int or inf; 0 once nothing can be
        # reused, which also switches the bookkeeping off).
        self.horizon: int | float = math.inf if track else 0
        self.gstate = [0] * len(mes.group_ballot)
        n = len(mes.ids)
        self.hist: list[dict[int, int] | None] = [None] * n
        # shared[p]: hist[p] is also held by a snapshot, so it is copied
        # before its first change (copy-on-write: a round changes the
        # histograms of a few projects only, copying all of them per round
        # dominated elections with many projects).
        self.shared = [False] * n
        self.alive = [False] * n
        self.dirty = [True] * n
        # Last price of each project: money share as (intercept, slope)
        # Fractions and price per unit of utility as integers (A, B, D)
        # meaning (A + B*k) / D at endowment origin + k, plus Fraction(A, D).
        self.share: list[Any] = [None] * n
        self.key: list[Any] = [None] * n
        for p in mes.candidates:
            self.hist[p] = {0: mes.supporters_count[p]}
            self.alive[p] = True
        self.selected: list[int] = []
        self.total: Number = 0
        self.rounds: list[dict[str, Any]] = []
        self.snapshots: list[tuple] = []

    def _snapshot(self) -> None:
        self.shared[:] = [True] * len(self.shared)
        self.snapshots.append(
            (
                len(self.selected),
                self.origin + self.horizon,  # valid up to this endowment
                self.origin,
                self.scale,
                self.total,
                self.value[:],
                self.slope[:],
                self.gstate[:],
                self.hist[:],
                self.alive[:],
                self.dirty[:],
                self.share[:],
                self.key[:],
            )
        )

    def resume(self, endowment: Fraction, limit: Number | None = None):
        """Continue as if MES had been run from scratch with ``endowment``
        (larger than any before, by whole currency units): restart from the
        latest saved round still valid there.  Returns like :meth:`play`."""
        i = len(self.snapshots) - 1
        while self.snapshots[i][1] < endowment:
            i -= 1  # the first snapshot, before any decision, is valid forever
        (
            n_selected,
            until,
            origin,
            self.scale,
            self.total,
            value,
            slope,
            gstate,
            hist,
            alive,
            dirty,
            share,
            key,
        ) = self.snapshots[i]
        del self.snapshots[i:]  # re-saved below with the new origin
        d = int(endowment - origin)
        self.value = [a + d * b for a, b in zip(value, slope, strict=True)]
        self.slope = slope[:]
        self.gstate = gstate[:]
        self.hist = hist[:]
        self.shared = [True] * len(hist)
        self.alive = alive[:]
        self.dirty = dirty[:]
        # Prices that do not depend on the endowment (slope 0, the common
        # case) keep their Fractions: creating them dominated resuming.
        self.share = [q if q is None or not q[1] else (q[0] + d * q[1], q[1]) for q in share]
        self.key = [
            k if k is None or not k[1] else (k[0] + d * k[1], k[1], k[2], Fraction(k[0] + d * k[1], k[2])) for k in key
        ]
        self.selected = self.selected[:n_selected]
        self.origin = endowment
        self.horizon = until if until == math.inf else int(until - endowment)
        return self.play(limit)

    def play(self, limit: Number | None = None) -> tuple[list[int], Number, Fraction | float]:
        """Run rounds until no project is affordable, or until the total cost
        exceeds ``limit`` (the caller then only needs to know that).

        Returns ``(selected project indices in order, total cost, until)``.
        With ``record``, :attr:`rounds` receives per funded project its share
        and how much the supporters of every other project spent on it, then
        a last entry with each project's supporters' money left.
        """
        mes, record = self.mes, self.record
        costs, gw, gb, gs_of = mes.costs, mes.group_weight, mes.group_ballot, mes.group_supporters
        tbs, by_cost = mes.tb, mes.by_cost
        value, slope, gstate, hist, shared = self.value, self.slope, self.gstate, self.hist, self.shared
        alive, dirty, share, key, selected = self.alive, self.dirty, self.share, self.key, self.selected
        # A never-priced project gets 0, a lower bound that forces pricing.
        heap = [(0 if key[p] is None else key[p][3], tbs[p], p) for p in mes.candidates if alive[p]]
        heapq.heapify(heap)
        if self.horizon > 0:
            self._snapshot()
        while heap:
            _, tb, p = heapq.heappop(heap)
            if not alive[p]:
                continue
            if dirty[p]:
                tracking = self.horizon > 0
                priced = mes._price(p, hist[p], value, slope if tracking else None, self.scale)
                if priced[0] is None:  # supporters together cannot pay: never can again
                    if tracking:
                        self.horizon = min(self.horizon, priced[1])
                    alive[p] = False
                    continue
                qa, qb, rich = priced
                unit = rich * self.scale
                share[p] = (Fraction(qa, unit), Fraction(qb, unit))
                dirty[p] = False
                if by_cost:
                    cost = Fraction(costs[p])
                    a, b, d = qa * cost.denominator, qb * cost.denominator, unit * cost.numerator
                else:
                    a, b, d = qa, qb, unit
                key[p] = (a, b, d, Fraction(a, d))
                heapq.heappush(heap, (key[p][3], tb, p))
                continue
            # p is the cheapest per unit of utility among all live projects.
            alive[p] = False
            selected.append(p)
            self.total += costs[p]
            if limit is not None and self.total > limit:
                break
            horizon = self.horizon
            if horizon > 0:
                horizon = min(horizon, mes._winner_horizon(p, alive, key))
            # Once nothing can be reused (horizon 0) slopes are no longer kept:
            # rescaling them cost as much as rescaling the money itself.
            tracking = horizon > 0
            share_a, share_b = share[p]
            factor = (share_a * self.scale).denominator
            if tracking:
                factor = math.lcm(factor, (share_b * self.scale).denominator)
            if factor != 1:
                self.scale *= factor
                value[:] = [v * factor for v in value]
                if tracking:
                    slope[:] = [b * factor for b in slope]
            q = int(share_a * self.scale)  # whole units now
            qb = int(share_b * self.scale) if tracking else 0
            trans: dict[int, int] = {}
            pay: dict[int, int] = {}
            for st in hist[p]:
                v = value[st]
                if v <= q:
                    trans[st], pay[st] = _ZERO, v
                    if horizon > 0:
                        # Must keep paying everything it has, and (if it was
                        # counted among those paying the share, v == q) keep
                        # being able to pay the share.
                        horizon = min(horizon, _last_ok(q - v, qb - slope[st], False))
                        if v == q:
                            horizon = min(horizon, _last_ok(0, slope[st] - qb, False))
                else:
                    value.append(v - q)
                    trans[st], pay[st] = len(value) - 1, q
                    if horizon > 0:  # must keep some money after paying the share
                        slope.append(slope[st] - qb)
                        horizon = min(horizon, _last_ok(v - q, slope[st] - qb, True))
            self.horizon = horizon
            if record:
                self._record(p, trans, pay)
            for g in gs_of[p]:
                old = gstate[g]
                if old == _ZERO:
                    continue
                new = trans[old]
                gstate[g] = new
                w = gw[g]
                for r in gb[g]:
                    if alive[r]:
                        h = hist[r]
                        if shared[r]:
                            h = hist[r] = h.copy()
                            shared[r] = False
                        left = h[old] - w
                        if left:
                            h[old] = left
                        else:
                            del h[old]
                        if new != _ZERO:
                            h[new] = h.get(new, 0) + w
                        dirty[r] = True
            hist[p] = None
            if self.horizon > 0:
                self._snapshot()
        if record:
            money_left = [0] * len(mes.ids)
            for g, st in enumerate(gstate):
                if st != _ZERO:
                    for r in gb[g]:
                        money_left[r] += value[st] * gw[g]
            self.rounds.append({"money_left": [Fraction(units, self.scale) for units in money_left]})
        return selected[:], self.total, self.origin + self.horizon

    def _record(self, p: int, trans: dict[int, int], pay: dict[int, int]) -> None:
        """Explanation data for funding ``p`` (before the groups are updated)."""
        mes, gstate = self.mes, self.gstate
        spent_by: dict[int, int] = {}
        for g in mes.group_supporters[p]:
            old = gstate[g]
            if old == _ZERO:
                continue
            amount = pay[old] * mes.group_weight[g]
            for r in mes.group_ballot[g]:
                if r != p:
                    spent_by[r] = spent_by.get(r, 0) + amount
        self.rounds.append(
            {
                "project": p,
                "share": self.share[p][0],
                "paying_full_share": sum(w for st, w in self.hist[p].items() if trans[st] != _ZERO),
                "spent_by_supporters_of": {r: Fraction(units, self.scale) for r, units in spent_by.items()},
            }
        )


def _last_ok(d0: int, d1: int, strict: bool) -> int | float:
    """Largest whole ``k >= 0`` such that ``d0 + d1*j`` stays ``> 0`` (strict)
    or ``>= 0`` for every whole ``j`` in ``0..k``; it holds at ``j = 0``."""
    if d1 >= 0:
        return math.inf
    if strict:
        return (d0 - 1) // -d1
    return d0 // -d1


def equal_shares(
    projects: Mapping[str, Any],
    budget: Number,
    ballots: Iterable[Iterable[str]],
    utilities: str = "cost",
    completion: str = "add1",
    tie_break: TieBreak | None = None,
) -> RuleResult:
    """Method of Equal Shares (MES), as used in Wieliczka and Świecie 2023.

    ``projects`` is ``{id: cost}`` or ``{id: Project}``; ``ballots`` holds one
    collection of approved project ids per voter (empty ballots count: their
    holders get a share of the money and spend none, as in pabutools).

    Every voter starts with ``budget / number_of_voters``.  Each round funds
    the project whose supporters can pay for it at the lowest price per unit
    of utility (``rho``), each supporter paying ``min(money left, rho *
    utility)``; utility is the project's cost with ``utilities="cost"``
    (pabutools' ``Cost_Sat``) or 1 with ``"approval"``.  Rounds stop when no
    remaining project can be paid by its supporters.  Ties: more supporters,
    then cheaper, then input order (or ``tie_break``).

    ``completion``:

    * ``"none"``: plain MES.
    * ``"add1"`` (default): pabutools' ``voter_budget_increment=1``, i.e. the
      official Świecie/Wieliczka procedure.  MES is re-run with the per-voter
      endowment raised by one currency unit at a time; it stops at the first
      outcome that is exhaustive (no further project fits in the budget) and
      keeps that outcome, or at the first outcome that costs more than the
      budget and keeps the previous one.  The result is exactly that of
      stepping one unit at a time (a binary search would not be equivalent);
      it is just faster: endowments whose outcome provably cannot change are
      skipped, each run resumes from the last round whose decisions still
      hold, and runs that overshoot the budget stop early.
    * ``"add1+greedy"``: ``"add1"``, then the money left funds projects
      greedily by number of supporters (skipping those that do not fit).
      Świecie 2023 does not need this step: no project fits in what ``add1``
      leaves.

    Explanation codes: ``selected`` (with ``round``, ``share`` = the most a
    supporter paid, ``supporters``, ``paying_full_share``); ``selected_free``
    (zero cost); ``selected_in_completion``; ``no_votes``;
    ``insufficient_support`` (even all supporters' initial money,
    ``supporters_money``, is below ``cost``); ``supporters_budget_exhausted``
    (``by``: funded projects that used this project's supporters' money, most
    first, ``spent_on``: amounts, ``supporters_money_left``).  ``details``
    gives the final ``endowment`` per voter and the number of ``increments``.
    """
    if utilities not in UTILITIES:
        raise ValueError(f"utilities must be one of {UTILITIES}, not {utilities!r}")
    if completion not in COMPLETIONS:
        raise ValueError(f"completion must be one of {COMPLETIONS}, not {completion!r}")
    costs = _costs(projects)
    budget = _exact(budget)
    mes = _MES(costs, ballots, utilities, tie_break)
    free = list(mes.free)
    details: dict[str, Any] = {
        "voters": mes.n_voters,
        "utilities": utilities,
        "completion": completion,
        "increments": 0,
    }
    if mes.n_voters == 0:
        chosen: list[int] = []
        endowment = Fraction(0)
    else:
        endowment = Fraction(budget) / mes.n_voters
        if completion == "none":
            chosen = mes.run(endowment)[0]
        else:
            chosen, endowment, steps = _add_one(mes, endowment, budget)
            details["increments"] = steps
    details["endowment"] = endowment
    # A final recorded run (cheap) gives the numbers for the explanations.
    rounds = mes.run(endowment, record=True)[2] if mes.n_voters else [{"money_left": None}]
    money_left = rounds.pop()["money_left"]
    order = free + chosen
    explanations = _mes_explanations(mes, order, free, rounds, money_left, endowment)
    spent = sum(costs[mes.ids[p]] for p in order)
    if completion == "add1+greedy":
        scores = dict(zip(mes.ids, mes.supporters_count, strict=True))
        funded = {mes.ids[p] for p in order}
        position = {pid: i for i, pid in enumerate(mes.ids)}
        rest = {pid: costs[pid] for pid in mes.ids if pid not in funded}
        filler = greedy(rest, budget - spent, scores, tie_break)
        for pid in filler.selected:
            explanations[pid] = {
                "project": pid,
                "selected": True,
                "reason": "selected_in_completion",
                "cost": _money(costs[pid]),
                "supporters": scores[pid],
                "budget_left": filler.explanations[pid]["budget_left"],
            }
            order.append(position[pid])
        spent += filler.spent
    selected = [mes.ids[p] for p in order]
    return RuleResult(
        rule="equal-shares",
        selected=selected,
        explanations={pid: explanations[pid] for pid in mes.ids},
        budget=budget,
        spent=spent,
        details=details,
    )


def _add_one(mes: _MES, endowment: Fraction, budget: Number) -> tuple[list[int], Fraction, int]:
    """pabutools' iterated MES with ``voter_budget_increment=1``.

    Returns the kept outcome, the endowment that produced it and the number
    of increments.  Mirrors ``method_of_equal_shares_scheme``: run MES, keep
    the outcome if it is exhaustive, return the previous one if it is over
    budget, else add 1 to every voter's endowment and run again.

    Two exact shortcuts (see :class:`_Run`): increments up to the run's
    ``until`` provably give the same outcome, thus are neither over budget
    nor exhaustive, and are skipped; and the next run resumes from the latest
    round whose decisions still hold instead of starting over.  Unlike a
    binary search over the endowment this gives pabutools' result.
    """
    base = sum(mes.costs[p] for p in mes.free)
    start = endowment
    previous: list[int] = []
    state = _Run(mes, endowment, track=True)
    chosen, total, until = state.play(limit=budget - base)
    while True:
        total += base
        if total > budget:
            # The previous outcome held up to the endowment just below.
            if endowment == start:
                return previous, endowment, 0
            return previous, endowment - 1, int(endowment - 1 - start)
        taken = set(chosen)
        if all(p in taken or total + mes.costs[p] > budget for p in mes.candidates):
            return chosen, endowment, int(endowment - start)
        previous = chosen
        # ``until`` is origin + whole units, or infinite: that cannot happen
        # here (with enough money every project is affordable), but stepping
        # by one keeps the loop correct regardless.
        endowment = endowment + 1 if until == math.inf else max(until + 1, endowment + 1)
        chosen, total, until = state.resume(endowment, limit=budget - base)


def _mes_explanations(
    mes: _MES,
    order: list[int],
    free: list[int],
    rounds: list[dict[str, Any]],
    money_left: list[Number] | None,
    endowment: Fraction,
) -> dict[str, dict[str, Any]]:
    explanations: dict[str, dict[str, Any]] = {}
    spent_on: list[dict[int, Fraction]] = [{} for _ in mes.ids]
    for number, rnd in enumerate(rounds, start=1):
        p = rnd["project"]
        if p not in order:
            continue  # a recorded run never goes past the kept outcome, but be safe
        pid = mes.ids[p]
        explanations[pid] = {
            "project": pid,
            "selected": True,
            "reason": "selected",
            "round": number,
            "cost": _money(mes.costs[p]),
            "supporters": mes.supporters_count[p],
            "share": _money(rnd["share"]),
            "paying_full_share": rnd["paying_full_share"],
        }
        for r, amount in rnd["spent_by_supporters_of"].items():
            spent_on[r][p] = amount
    for p in free:
        pid = mes.ids[p]
        explanations[pid] = {
            "project": pid,
            "selected": True,
            "reason": "selected_free",
            "cost": 0,
            "supporters": mes.supporters_count[p],
        }
    for p, pid in enumerate(mes.ids):
        if pid in explanations:
            continue
        n = mes.supporters_count[p]
        record: dict[str, Any] = {
            "project": pid,
            "selected": False,
            "cost": _money(mes.costs[p]),
            "supporters": n,
        }
        if n == 0:
            record["reason"] = "no_votes"
        elif n * endowment < mes.costs[p]:
            record.update(reason="insufficient_support", supporters_money=_money(n * endowment))
        else:
            by = sorted(spent_on[p], key=lambda s: (-spent_on[p][s], order.index(s)))
            record.update(
                reason="supporters_budget_exhausted",
                supporters_money=_money(n * endowment),
                supporters_money_left=_money(money_left[p] if money_left else 0),
                by=[mes.ids[s] for s in by],
                spent_on={mes.ids[s]: _money(spent_on[p][s]) for s in by},
            )
        explanations[pid] = record
    return explanations


# ---------------------------------------------------------------------------
# Entry point for a parsed election
# ---------------------------------------------------------------------------


def compute(election: Election, rule: str) -> RuleResult:
    """Run ``rule`` ("greedy", "greedy-stop" or "equal-shares") on a parsed election.

    Greedy rules use :func:`election_scores`; equal shares uses cost
    utilities with the ``add1`` completion, on :func:`election_ballots`.
    """
    if rule == "greedy":
        return greedy(election.projects, election.budget, election_scores(election))
    if rule == "greedy-stop":
        return greedy_stop(election.projects, election.budget, election_scores(election))
    if rule == "equal-shares":
        return equal_shares(election.projects, election.budget, election_ballots(election))
    raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
