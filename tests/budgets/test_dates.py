"""Days entered in the budget forms are the site's local days (Europe/Paris
in tests), on either side of the October daylight-saving change."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from civic.budgets import services
from civic.budgets.importer import import_election
from civic.budgets.pabulib import parse_pb_string
from civic.core import phases
from civic.extensions import db

from .test_results import SMALL_PB


def _new_edition(client, **days):
    data = {"title": "Budget d'automne", "description": "", "total_amount": "100000", "currency": "EUR",
            "vote_rule": "approval", "selection_rule": "greedy", "min_choices": "1", "max_choices": "2"}
    data.update(days)
    resp = client.post("/budgets/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").split("/")[-2])


def _current_phase(client, edition_id) -> str:
    html = client.get(f"/budgets/{edition_id}").get_data(as_text=True)
    return html.split('aria-current="step"', 1)[1].split("</li>", 1)[0]


def test_phases_entered_around_the_october_change_start_at_local_midnight_and_read_back_the_same_day(
        client, login, budget, clock):
    clock.set(datetime(2026, 10, 1, 8, 0))
    login(budget.official)
    # Summer time until Sunday 25 October 2026 at 03:00, winter time from then on.
    edition_id = _new_edition(client, review="2026-10-20", voting="2026-10-25", results="2026-10-26",
                              implementation="2026-11-02")
    html = client.get(f"/budgets/{edition_id}").get_data(as_text=True)
    # A phase ends when the next one starts: "to" names its last day.
    assert "Feasibility review — from October 20, 2026 to October 24, 2026" in " ".join(html.split())
    assert "Voting — from October 25, 2026 to October 25, 2026" in " ".join(html.split())
    assert "Results — from October 26, 2026 to November 1, 2026" in " ".join(html.split())
    # Half past midnight in Paris, either side of the change: the day's phase has begun.
    # The page follows the dates by itself, scheduler or not.
    clock.set(datetime(2026, 10, 24, 21, 59))  # 24 October, 23:59 summer time
    assert "Feasibility review" in _current_phase(client, edition_id)
    clock.set(datetime(2026, 10, 24, 22, 30))  # 25 October, 00:30 summer time
    assert "Voting" in _current_phase(client, edition_id)
    phases.advance_phases(now=datetime(2026, 10, 25, 23, 30))  # 26 October, 00:30 winter time
    db.session.commit()
    assert "Results" in _current_phase(client, edition_id)


def test_an_imported_election_votes_from_local_midnight_of_the_files_first_day(app):
    text = SMALL_PB.replace("currency;EUR\n", "currency;EUR\ndate_begin;25.10.2026\ndate_end;26.10.2026\n")
    edition, _envelope = import_election(parse_pb_string(text), title="Budget importé")
    db.session.commit()
    voting, results = phases.phases_for(services.KIND, edition.id)
    assert (voting.starts_at, voting.ends_at) == (datetime(2026, 10, 24, 22, 0), datetime(2026, 10, 25, 23, 0))
    assert results.starts_at == datetime(2026, 10, 25, 23, 0)
    assert db.session.scalar(sa.select(phases.Phase.code).where(phases.Phase.is_current.is_(True))) == "results"
