"""Results anyone can recompute: import a .pb, vote, close, compute by job,
publish, and recompute the exported .pb with the rules engine."""

import json
from datetime import timedelta

import sqlalchemy as sa

from civic.budgets import rules, services
from civic.budgets.importer import import_election
from civic.budgets.models import Ballot, BudgetResult, Project, ResultsStatus, SelectionRule
from civic.budgets.pabulib import parse_pb_string
from civic.core import phases
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db

from . import factories

SMALL_PB = """META
key;value
description;Test election
country;France
unit;Testville
instance;2027
num_projects;5
num_votes;12
budget;100000
vote_type;approval
rule;greedy
min_length;1
max_length;3
currency;EUR
PROJECTS
project_id;cost;votes;name;category
p1;60000;7;Rénover le gymnase;Sport
p2;30000;6;Jardin partagé;Nature
p3;50000;5;Piste cyclable;Mobilité
p4;10000;3;Boîte à livres;Culture
p5;20000;1;Fresque murale;Culture
VOTES
voter_id;vote
v1;p1,p2
v2;p1,p2
v3;p1,p3
v4;p1,p3
v5;p1
v6;p1,p4
v7;p1,p2
v8;p2,p3
v9;p2,p3,p4
v10;p3,p4
v11;p2,p5
v12;p4
"""


def test_import_vote_close_compute_publish_and_the_export_recomputes_to_the_same_selection(
        client, login, budget, run_jobs, mails):
    election = parse_pb_string(SMALL_PB)
    edition, envelope = import_election(election, title="Budget participatif de Testville", past=False)
    now = utcnow()
    phases.set_phases(budget.admin, services.KIND, edition.id, services.phase_specs(
        {"voting": now - timedelta(hours=1), "results": now + timedelta(days=7)}, None))
    db.session.commit()
    budget.enter_phase(edition, "voting")
    assert edition.rules_frozen
    ids = {p.external_id: p.id for p in db.session.scalars(sa.select(Project).where(Project.edition_id == edition.id))}

    # Two residents vote online (pages, no JavaScript), one on paper at the counter.
    for email, choice in (("a@example.org", ["p3", "p4"]), ("b@example.org", ["p3", "p5"])):
        login(budget.voter(email=email))
        resp = client.post(f"/budgets/{edition.id}/vote/{envelope.id}",
                           data={"project": [ids[c] for c in choice], "action": "submit"})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        client.post("/account/logout")
    login(budget.mediator)
    resp = client.post(f"/budgets/{edition.id}/paper/{envelope.id}", data={
        "reference": "P-17", "last_name": "Garcia", "first_name": "Inès", "birth_date": "1961-07-14",
        "postcode": "31000", "project": [ids["p3"]]})
    assert resp.status_code == 302
    client.post("/account/logout")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 15

    # Closing the vote computes the results by job; they are not public until published.
    budget.enter_phase(edition, "results")
    run_jobs()
    db.session.expire_all()
    edition = services.get_edition(edition.id)
    assert edition.results_status == ResultsStatus.COMPUTED
    assert client.get(f"/api/v1/budgets/{edition.id}/pabulib").status_code == 404
    login(budget.official)
    page = client.get(f"/budgets/{edition.id}/results").get_data(as_text=True)
    assert "only officials see them" in page
    assert client.post(f"/budgets/{edition.id}/publish").status_code == 302
    client.post("/account/logout")

    official = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                               BudgetResult.rule == SelectionRule.GREEDY))
    # p3 now has 8 votes: greedy takes p3 (50 000); p1 (60 000) no longer fits; then p2 (30 000) and p4 (10 000).
    assert [int(i) for i in official.selected] == [ids["p3"], ids["p2"], ids["p4"]]
    page = client.get(f"/budgets/{edition.id}/results").get_data(as_text=True)
    assert "Not selected: 50,000 € were left when its turn came, and the project costs 60,000 €." in page
    assert "Comparison: Method of Equal Shares" in page

    resp = client.get(f"/api/v1/budgets/{edition.id}/pabulib")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    exported = parse_pb_string(resp.get_data(as_text=True))
    assert len(exported.votes) == 15
    assert all(v.voter_id.isdigit() for v in exported.votes)  # anonymous
    assert "a@example.org" not in resp.get_data(as_text=True)
    selected_column = [pid for pid, p in exported.projects.items() if p.selected]
    recomputed = rules.compute(exported, "greedy").selected
    assert recomputed == official.selected
    assert sorted(selected_column) == sorted(official.selected)
    other = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                            BudgetResult.rule == SelectionRule.EQUAL_SHARES))
    assert rules.compute(exported, "equal-shares").selected == other.selected

    data = client.get(f"/api/v1/budgets/{edition.id}/results").get_json()
    [env] = data["envelopes"]
    assert env["rules"]["greedy"]["selected"] == [ids["p3"], ids["p2"], ids["p4"]]
    assert env["rules"]["greedy"]["explanations"][str(ids["p1"])]["reason"] == "did_not_fit"
    as_json = client.get(f"/api/v1/budgets/{edition.id}/pabulib?format=json").get_json()
    assert len(as_json["votes"]) == 15
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "budget.results_published"))


def test_results_are_not_recomputed_once_published(budget, run_jobs, web):
    b = budget.make("approval")
    factories.ballot(budget.voter(), b.envelope, [b.projects[0]])
    budget.enter_phase(b.edition, "results")
    run_jobs()
    db.session.expire_all()
    edition = services.get_edition(b.edition.id)
    with web():
        services.publish_results(budget.official, edition)
    db.session.commit()
    stamp = db.session.scalar(sa.select(BudgetResult.computed_at))
    from civic.budgets.jobs import compute_results_job

    compute_results_job(edition.id)
    assert db.session.scalar(sa.select(BudgetResult.computed_at)) == stamp
    assert db.session.get(Project, b.projects[0].id).selected is True


def test_rules_are_frozen_once_voting_opens(client, login, budget):
    b = budget.make("approval", phase="review")
    login(budget.official)
    resp = client.post(f"/budgets/{b.edition.id}/manage", data={
        "action": "rules", "rules-vote_rule": "knapsack", "rules-selection_rule": "equal-shares"})
    assert resp.status_code == 302
    budget.enter_phase(b.edition, "voting")
    resp = client.post(f"/budgets/{b.edition.id}/manage", data={
        "action": "rules", "rules-vote_rule": "approval", "rules-selection_rule": "greedy"})
    assert resp.status_code == 409
    db.session.expire_all()
    edition = services.get_edition(b.edition.id)
    assert edition.vote_rule.value == "knapsack" and edition.selection_rule.value == "equal-shares"
    assert "they can no longer change" in client.get(f"/budgets/{edition.id}").get_data(as_text=True)


def test_cli_import_creates_an_edition_and_prints_the_selection(app, tmp_path):
    path = tmp_path / "small.pb"
    path.write_text(SMALL_PB, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["civic", "budgets", "import", str(path), "--publish"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["selected"] == rules.compute(parse_pb_string(SMALL_PB), "greedy").selected == ["p1", "p2", "p4"]
    assert out["ballots"] == 12 and out["projects"] == 5
    edition = services.get_edition(out["edition"])
    assert edition.results_status == ResultsStatus.PUBLISHED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project).where(Project.selected.is_(True))) == 3


def test_cli_imports_cumulative_and_ordinal_files(app, tmp_path):
    cumulative = SMALL_PB.replace("vote_type;approval", "vote_type;cumulative\nmax_sum_points;5").replace(
        "voter_id;vote\n", "voter_id;vote;points\n")
    lines = cumulative.split("VOTES\n")
    votes = [line + (";" + ",".join(["2"] * len(line.split(";")[1].split(","))) if line and not line.startswith("voter_id")
             else "") for line in lines[1].splitlines()]
    cumulative = lines[0] + "VOTES\n" + "\n".join(votes) + "\n"
    ordinal = SMALL_PB.replace("vote_type;approval", "vote_type;ordinal")
    for name, text, rule in (("c.pb", cumulative, "cumulative"), ("o.pb", ordinal, "ranking")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["civic", "budgets", "import", str(path)])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output.strip().splitlines()[-1])
        edition = services.get_edition(out["edition"])
        assert edition.vote_rule.value == rule
        assert out["selected"] == rules.compute(parse_pb_string(text), "greedy").selected
    ballot = db.session.scalars(sa.select(Ballot).where(Ballot.points.is_not(None))).first()
    assert set(ballot.points) == {2}
