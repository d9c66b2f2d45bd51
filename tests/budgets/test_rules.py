"""Voting rules and the pabulib format: hand-computed cases and real elections.

The real-election tests read pabulib files from ``$CIVIC_PABULIB_DIR``, else
from ``<repo>/../shared/data/pabulib`` (shared data sits beside the clone), and
are skipped with a clear reason when that directory is missing.
"""

from __future__ import annotations

import io
import json
import os
import random
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from civic.budgets.cli import budgets_group
from civic.budgets.pabulib import (
    Election,
    PabulibError,
    Project,
    Vote,
    parse_pb,
    parse_pb_string,
    write_pb,
    write_pb_string,
)
from civic.budgets.rules import (
    _MES,
    _add_one,
    compute,
    election_scores,
    equal_shares,
    greedy,
    greedy_stop,
)

PABULIB_DIR = Path(
    os.environ.get("CIVIC_PABULIB_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data" / "pabulib"
)


def pabulib_file(name: str) -> Path:
    """Path of a real pabulib file, skipping the test when the data is absent."""
    if not PABULIB_DIR.is_dir():
        pytest.skip(f"pabulib data directory {PABULIB_DIR} not found (set CIVIC_PABULIB_DIR)")
    path = PABULIB_DIR / name
    if not path.is_file():
        pytest.skip(f"{name} not found in {PABULIB_DIR}")
    return path


_parsed: dict[str, Election] = {}


def election(name: str) -> Election:
    """Parse a real file once per test session (Kraków takes about a second)."""
    if name not in _parsed:
        _parsed[name] = parse_pb(pabulib_file(name))
    return _parsed[name]


def official(e: Election) -> list[str]:
    return [pid for pid, p in e.projects.items() if p.selected]


# ---------------------------------------------------------------------------
# Greedy
# ---------------------------------------------------------------------------

COSTS = {"A": 60, "B": 50, "C": 30, "D": 10}
SCORES = {"A": 10, "B": 8, "C": 6, "D": 2}


def test_greedy_skips_projects_that_do_not_fit():
    result = greedy(COSTS, 100, SCORES)
    assert result.selected == ["A", "C", "D"]
    assert result.spent == 100
    assert result.explanations["B"] == {
        "project": "B",
        "selected": False,
        "rank": 2,
        "score": 8,
        "cost": 50,
        "reason": "did_not_fit",
        "budget_left": 40,
    }
    assert result.explanations["C"]["reason"] == "selected"
    assert result.explanations["C"]["budget_left"] == 40
    assert result.explanations["C"]["budget_left_after"] == 10


def test_greedy_stop_stops_at_first_misfit():
    result = greedy_stop(COSTS, 100, SCORES)
    assert result.selected == ["A"]
    assert result.explanations["B"]["reason"] == "did_not_fit"
    for pid in ("C", "D"):
        assert result.explanations[pid]["reason"] == "not_reached"
        assert result.explanations[pid]["stopped_at"] == "B"
    assert result.rule == "greedy-stop"


def test_greedy_accepts_project_objects_and_never_funds_unvoted_projects():
    projects = {pid: Project(id=pid, cost=cost) for pid, cost in COSTS.items()}
    result = greedy(projects, 200, {"A": 1, "B": 0, "C": 3, "D": 0})
    assert result.selected == ["C", "A"]
    assert result.explanations["B"]["reason"] == "no_votes"
    assert result.explanations["D"]["reason"] == "no_votes"


def test_greedy_tie_breaks_cheaper_first_then_input_order():
    # Equal scores: the cheaper project comes first.
    assert greedy({"X": 50, "Y": 40}, 50, {"X": 5, "Y": 5}).selected == ["Y"]
    # Equal scores and costs: the first in input order.
    assert greedy({"P": 50, "Q": 50}, 50, {"P": 5, "Q": 5}).selected == ["P"]
    assert greedy({"Q": 50, "P": 50}, 50, {"P": 5, "Q": 5}).selected == ["Q"]
    # A custom tie-break replaces "cheaper first" (here: dearer first).
    costs = {"X": 50, "Y": 40}
    assert greedy(costs, 50, {"X": 5, "Y": 5}, tie_break=lambda pid: -costs[pid]).selected == ["X"]


def test_result_to_dict_is_json_serialisable():
    result = equal_shares({"A": 5, "B": 5, "C": 4}, 10, [["A", "B"]] * 6 + [["C"]] * 4)
    assert json.loads(json.dumps(result.to_dict()))["selected"] == ["A", "C"]


# ---------------------------------------------------------------------------
# Method of Equal Shares
# ---------------------------------------------------------------------------


def test_equal_shares_differs_from_greedy():
    # 10 voters, budget 10: each voter has 1.  Six approve A and B (cost 5
    # each), four approve C (cost 4).
    costs = {"A": 5, "B": 5, "C": 4}
    ballots = [["A", "B"]] * 6 + [["C"]] * 4
    # Greedy by approvals funds the majority's two projects.
    assert greedy(costs, 10, {"A": 6, "B": 6, "C": 4}).selected == ["A", "B"]
    # MES: A costs its six supporters 5/6 each (1/6 per unit of utility,
    # C would be 1/4), which leaves them 1/6 each: 1 in total, not enough
    # for B.  C's four supporters pay 1 each.  Nothing else fits in the
    # remaining 1, so the add-one completion keeps this outcome.
    result = equal_shares(costs, 10, ballots)
    assert result.selected == ["A", "C"]
    assert result.spent == 9
    assert result.details["increments"] == 0
    assert result.details["endowment"] == 1
    assert result.explanations["A"] == {
        "project": "A",
        "selected": True,
        "reason": "selected",
        "round": 1,
        "cost": 5,
        "supporters": 6,
        "share": 0.83,
        "paying_full_share": 6,
    }
    assert result.explanations["B"] == {
        "project": "B",
        "selected": False,
        "cost": 5,
        "supporters": 6,
        "reason": "supporters_budget_exhausted",
        "supporters_money": 6,
        "supporters_money_left": 1,
        "by": ["A"],
        "spent_on": {"A": 5},
    }
    assert equal_shares(costs, 10, ballots, completion="none").selected == ["A", "C"]
    assert equal_shares(costs, 10, ballots, utilities="approval").selected == ["A", "C"]


def test_equal_shares_add_one_completion_and_tie_break():
    # 10 voters, budget 10: five approve A (cost 6), five approve B (cost 4).
    costs = {"A": 6, "B": 4}
    ballots = [["A"]] * 5 + [["B"]] * 5
    # Plain MES: A's supporters hold 5 < 6.
    plain = equal_shares(costs, 10, ballots, completion="none")
    assert plain.selected == ["B"]
    assert plain.explanations["A"]["reason"] == "insufficient_support"
    assert plain.explanations["A"]["supporters_money"] == 5
    # Add one: with 2 each, A (1.2 each) and B (0.8 each) both cost 0.2 per
    # unit of utility; equal supporters, so the cheaper B goes first.  The
    # outcome spends all 10: exhaustive, kept.
    result = equal_shares(costs, 10, ballots)
    assert result.selected == ["B", "A"]
    assert result.details["increments"] == 1
    assert result.details["endowment"] == 2
    # A custom tie-break can put A first.
    assert equal_shares(costs, 10, ballots, tie_break=["A", "B"].index).selected == ["A", "B"]


def test_equal_shares_add_one_keeps_last_feasible_outcome_then_greedy_fill():
    # Budget 10, 10 voters.  At 1 each MES funds A only (its six supporters
    # pay 5/6, C's four supporters hold 4 < 5).  At 2 each it funds A, B and
    # C: 15 > 10, so add-one keeps the outcome at 1 each.
    costs = {"A": 5, "B": 5, "C": 5}
    ballots = [["A", "B"]] * 6 + [["C"]] * 4
    result = equal_shares(costs, 10, ballots)
    assert result.selected == ["A"]
    assert result.details["endowment"] == 1
    assert result.explanations["C"]["reason"] == "insufficient_support"
    filled = equal_shares(costs, 10, ballots, completion="add1+greedy")
    assert filled.selected == ["A", "B"]
    assert filled.explanations["B"]["reason"] == "selected_in_completion"


def test_equal_shares_free_and_unvoted_projects():
    result = equal_shares({"F": 0, "N": 3, "A": 4}, 10, [["F", "A"], ["A"]])
    assert result.selected[0] == "F"
    assert result.explanations["F"]["reason"] == "selected_free"
    assert result.explanations["N"]["reason"] == "no_votes"
    assert "A" in result.selected
    assert equal_shares({"A": 4}, 10, []).selected == []
    with pytest.raises(ValueError):
        equal_shares({"A": 4}, 10, [["A"]], utilities="borda")
    with pytest.raises(ValueError):
        equal_shares({"A": 4}, 10, [["A"]], completion="add2")


def _reference_mes(costs, ballots, endowment):
    """Textbook MES on individual voters with Fractions (no grouping, no
    laziness), cost utilities, ties: more supporters, cheaper, input order."""
    order = list(costs)
    supporters = {p: [i for i, b in enumerate(ballots) if p in b] for p in order}
    money = [Fraction(endowment)] * len(ballots)
    remaining = [p for p in order if costs[p] > 0 and supporters[p]]
    chosen = []
    while True:
        best = None
        for p in remaining:
            if sum(money[i] for i in supporters[p]) < costs[p]:
                continue
            paid, rich = Fraction(0), len(supporters[p])
            for m in sorted(money[i] for i in supporters[p]):
                share = (costs[p] - paid) / rich
                if share <= m:
                    break
                paid, rich = paid + m, rich - 1
            rank = (share / costs[p], -len(supporters[p]), costs[p], order.index(p))
            if best is None or rank < best[0]:
                best = (rank, p, share)
        if best is None:
            return chosen
        _, p, share = best
        chosen.append(p)
        remaining.remove(p)
        for i in supporters[p]:
            money[i] -= min(money[i], share)


def _reference_add_one(costs, budget, ballots):
    endowment, previous = Fraction(budget, len(ballots)), []
    while True:
        chosen = _reference_mes(costs, ballots, endowment)
        total = sum(costs[p] for p in chosen)
        if total > budget:
            return previous
        if all(p in chosen or total + costs[p] > budget for p in costs if any(p in b for b in ballots)):
            return chosen
        previous, endowment = chosen, endowment + 1


def test_equal_shares_matches_a_textbook_implementation_on_random_elections():
    rng = random.Random(20231)
    for _ in range(120):
        n_projects = rng.randint(2, 7)
        costs = {f"p{i}": rng.choice([10, 20, 20, 30, 40, 60]) for i in range(n_projects)}
        budget = rng.choice([60, 80, 100, 130])
        ballots = [rng.sample(list(costs), rng.randint(0, min(3, n_projects))) for _ in range(rng.randint(3, 14))]
        assert equal_shares(costs, budget, ballots, completion="none").selected == _reference_mes(
            costs, ballots, Fraction(budget, len(ballots))
        )
        assert equal_shares(costs, budget, ballots).selected == _reference_add_one(costs, budget, ballots)


def test_add_one_shortcuts_match_plain_iteration():
    # The add-one loop skips endowments and resumes runs; check it against
    # plain iteration (fresh runs, every increment) on bigger random cases.
    rng = random.Random(7)
    for _ in range(25):
        costs = {f"p{i}": rng.randint(1, 40) * 100 for i in range(rng.randint(4, 12))}
        budget = rng.randint(60, 200) * 100
        weights = [rng.random() for _ in costs]
        ballots = [
            {p for p, w in zip(costs, weights, strict=True) if rng.random() < w} for _ in range(rng.randint(20, 200))
        ]
        mes = _MES(costs, ballots, "cost", None)
        endowment = Fraction(budget, len(ballots))
        previous = []
        while True:
            chosen, total, _, _ = mes.run(endowment)
            if total > budget:
                expected = previous
                break
            if all(p in chosen or total + mes.costs[p] > budget for p in mes.candidates):
                expected = chosen
                break
            previous, endowment = chosen, endowment + 1
        assert _add_one(mes, Fraction(budget, len(ballots)), budget)[0] == expected


# ---------------------------------------------------------------------------
# pabulib format
# ---------------------------------------------------------------------------

SAMPLE = (
    "\ufeffMETA\r\n"
    "key;value\r\n"
    "description;Test; with a semicolon\r\n"
    "budget;100,5\r\n"
    "vote_type;cumulative\r\n"
    "max_sum_points;10\r\n"
    "PROJECTS\r\n"
    "project_id;cost;votes;name;selected\r\n"
    '1;40,25;2;"Park; ""green"" edition";1\r\n'
    "2;60.0;1;Library;0\r\n"
    "3;10;0;None;None\r\n"
    "VOTES\r\n"
    "voter_id;vote;points;age\r\n"
    "v1;2,1;7,3;34\r\n"
    "v2;1;10;None\r\n"
    "\r\n"
    "\r\n"
)


def test_parse_pabulib_variations():
    e = parse_pb_string(SAMPLE)
    assert e.meta == {
        "description": "Test; with a semicolon",
        "budget": "100,5",
        "vote_type": "cumulative",
        "max_sum_points": "10",
    }
    assert e.budget == 100.5
    assert e.vote_type == "cumulative"
    assert list(e.projects) == ["1", "2", "3"]
    park = e.projects["1"]
    assert (park.cost, park.name, park.selected, park.fields) == (40.25, 'Park; "green" edition', True, {"votes": "2"})
    assert e.projects["2"].cost == 60 and isinstance(e.projects["2"].cost, int)
    assert e.projects["2"].selected is False
    assert e.projects["3"].selected is None
    assert e.votes == [
        Vote(voter_id="v1", projects=["2", "1"], points=[7, 3], fields={"age": "34"}),
        Vote(voter_id="v2", projects=["1"], points=[10], fields={"age": "None"}),
    ]
    assert election_scores(e) == {"1": 13, "2": 7, "3": 0}


def test_pabulib_round_trip(tmp_path):
    e = parse_pb_string(SAMPLE)
    again = parse_pb_string(write_pb_string(e))
    assert again == e
    path = tmp_path / "out.pb"
    write_pb(e, path)
    assert parse_pb(path) == e
    buffer = io.StringIO()
    write_pb(e, buffer)
    assert parse_pb(io.StringIO(buffer.getvalue())) == e


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("META\nkey;value\nPROJECTS\nproject_id;cost\n1;10\nVOTES\nvoter_id;vote\nv;2\n", "line 8: vote for unknown"),
        ("META\nkey;value\nPROJECTS\nproject_id;cost\n1;10\n1;12\n", "duplicate project_id"),
        ("PROJECTS\nproject_id;cost\n1;ten\n", "invalid cost"),
        ("PROJECTS\nproject_id;name\n1;x\n", "lacks cost"),
        ("1;2\n", "before the META"),
        ("PROJECTS\nproject_id;cost\n1;5\n2;5\nVOTES\nvoter_id;vote;points\nv;1,2;3\n", "1 points for 2"),
    ],
)
def test_parse_errors_name_the_problem(text, message):
    with pytest.raises(PabulibError, match=message):
        parse_pb_string(text)


def test_real_files_round_trip():
    for name in ("Poland_Swiecie_2023.pb", "Poland_Warszawa_2023_Bemowo.pb"):
        e = election(name)
        assert parse_pb_string(write_pb_string(e)) == e


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def test_cli_results(tmp_path):
    e = Election(
        meta={"budget": "10", "vote_type": "approval"},
        projects={pid: Project(id=pid, cost=cost) for pid, cost in {"A": 5, "B": 5, "C": 4}.items()},
        votes=[Vote(f"v{i}", ["A", "B"]) for i in range(6)] + [Vote(f"w{i}", ["C"]) for i in range(4)],
    )
    path = tmp_path / "small.pb"
    write_pb(e, path)
    runner = CliRunner()
    for rule, expected in (("greedy", ["A", "B"]), ("greedy-stop", ["A", "B"]), ("equal-shares", ["A", "C"])):
        out = runner.invoke(budgets_group, ["results", str(path), "--rule", rule])
        assert out.exit_code == 0, out.output
        payload = json.loads(out.output.strip().splitlines()[-1])
        assert payload["selected"] == expected
        assert payload["rule"] == rule
        assert payload["seconds"] >= 0
    bad = tmp_path / "bad.pb"
    bad.write_text("PROJECTS\nproject_id;cost\n1;x\n", encoding="utf-8")
    out = runner.invoke(budgets_group, ["results", str(bad)])
    assert out.exit_code != 0
    assert "invalid cost" in out.output
    no_budget = tmp_path / "no_budget.pb"
    no_budget.write_text("PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\nv;1\n", encoding="utf-8")
    out = runner.invoke(budgets_group, ["results", str(no_budget), "--rule", "equal-shares"])
    assert out.exit_code != 0
    assert "no 'budget'" in out.output


# ---------------------------------------------------------------------------
# Real elections
# ---------------------------------------------------------------------------


def test_warszawa_bemowo_greedy_reproduces_official_selection():
    e = election("Poland_Warszawa_2023_Bemowo.pb")
    result = compute(e, "greedy")
    assert sorted(result.selected) == sorted(official(e))
    assert len(result.selected) == 31
    assert result.spent == 4853670


def test_krakow_greedy_uses_positional_points_and_reproduces_official_selection():
    e = election("Poland_Krakow_2024.pb")
    scores = election_scores(e)
    # The file's "score" column is 3/2/1 points for a 1st/2nd/3rd choice.
    assert all(scores[pid] == int(p.fields["score"]) for pid, p in e.projects.items())
    result = compute(e, "greedy")
    assert result.selected == [
        "BO.OM.97/24",
        "BO.OM.5/24",
        "BO.OM.182/24",
        "BO.OM.79/24",
        "BO.OM.25/24",
        "BO.OM.67/24",
        "BO.OM.2/24",
        "BO.OM.1/24",
        "BO.OM.30/24",
        "BO.OM.16/24",
    ]
    assert sorted(result.selected) == sorted(official(e))
    assert result.explanations["BO.OM.19/24"]["reason"] == "did_not_fit"
    assert result.explanations["BO.OM.19/24"]["budget_left"] == 140000


def _toulouse_files() -> list[str]:
    if not PABULIB_DIR.is_dir():
        return ["France_Toulouse_2022.pb"]  # the test then skips with the reason
    return sorted(p.name for p in PABULIB_DIR.glob("France_Toulouse_2022*.pb"))


@pytest.mark.parametrize("name", _toulouse_files())
def test_toulouse_greedy(name):
    e = election(name)
    result = compute(e, "greedy")
    if any(p.selected is not None for p in e.projects.values()):
        assert sorted(result.selected) == sorted(official(e))
    # Independent check: approval counts, highest first, cheaper then file
    # order on ties; fund whatever still fits.
    counts = {pid: 0 for pid in e.projects}
    for vote in e.votes:
        for pid in set(vote.projects):
            counts[pid] += 1
    ranking = sorted(e.projects, key=lambda p: (-counts[p], e.projects[p].cost, list(e.projects).index(p)))
    left, expected = e.budget, []
    for pid in ranking:
        if counts[pid] and e.projects[pid].cost <= left:
            expected.append(pid)
            left -= e.projects[pid].cost
    assert result.selected == expected
    # Invariants: within budget, and every unfunded project did not fit when reached.
    assert sum(e.projects[p].cost for p in result.selected) <= e.budget
    spent = 0
    for pid in ranking:
        record = result.explanations[pid]
        if record["selected"]:
            spent += e.projects[pid].cost
        else:
            assert record["reason"] == "did_not_fit"
            assert e.projects[pid].cost > e.budget - spent == record["budget_left"]


SWIECIE_MES = [
    "c12",
    "c10",
    "c20",
    "c21",
    "c2",
    "c13",
    "c3",
    "c1",
    "c9",
    "c11",
    "c4",
    "c7",
    "c19",
    "c5",
    "c17",
    "c18",
    "c14",
]


def test_swiecie_equal_shares_reproduces_official_selection():
    e = election("Poland_Swiecie_2023.pb")
    assert e.meta["rule"] == "equalshares/add1"
    result = compute(e, "equal-shares")
    # Same order as pabutools 1.2.3 (method_of_equal_shares, Cost_Sat,
    # voter_budget_increment=1).
    assert result.selected == SWIECIE_MES
    assert sorted(result.selected) == sorted(official(e))
    assert result.details["increments"] == 226
    assert result.spent == 1040337
    # Greedy would have funded something else.
    assert sorted(compute(e, "greedy").selected) != sorted(official(e))
    unfunded = [pid for pid, r in result.explanations.items() if not r["selected"]]
    assert sorted(unfunded) == ["c15", "c16", "c22", "c6", "c8"]
    for pid in unfunded:
        assert result.explanations[pid]["reason"] in ("supporters_budget_exhausted", "insufficient_support")


def test_krakow_equal_shares_matches_pabutools():
    e = election("Poland_Krakow_2024.pb")
    result = compute(e, "equal-shares")
    # Outcome of pabutools 1.2.3 (Cost_Sat on the ranked projects, add-one).
    assert result.selected == [
        f"BO.OM.{n}/24"
        for n in (97, 5, 19, 79, 13, 7, 30, 27, 220, 150, 163, 92, 41, 128, 39, 16, 110, 187, 158, 89, 47, 194)
        + (81, 190, 40, 29, 133, 126, 35, 31, 74, 63, 216, 134, 229, 91, 122, 202, 95)
    ]
    assert result.details["increments"] == 157
