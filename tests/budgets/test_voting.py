"""Casting, checking and changing ballots under each rule, through the pages
(no JavaScript), and the one-person-one-ballot guarantees."""

import re

import pytest
import sqlalchemy as sa

from civic.budgets import services
from civic.budgets.models import Ballot, BallotChannel, PaperVoter
from civic.core.errors import PermissionDenied, ValidationError
from civic.core.models import AuditEntry
from civic.extensions import db
from tests.helpers import count_rows

from . import factories


def _vote_url(b):
    return f"/budgets/{b.edition.id}/vote/{b.envelope.id}"


def test_approval_ballot_is_checked_without_saving_then_cast_and_confirmed_by_mail(client, login, budget, mails):
    b = budget.make("approval", max_choices=2)
    voter = budget.voter(email="lea@example.org")
    login(voter)
    bancs, arbres, fontaine = b.projects[:3]
    # "Check my ballot" re-renders the figures computed on the server and saves nothing.
    resp = client.post(_vote_url(b), data={"project": [bancs.id, arbres.id, fontaine.id], "action": "check"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Choose at most 2 projects." in html
    assert '<span data-out="chosen">3</span>' in html
    assert count_rows(Ballot) == 0
    resp = client.post(_vote_url(b), data={"project": [bancs.id, arbres.id], "action": "submit"})
    assert resp.status_code == 302
    [ballot] = db.session.scalars(sa.select(Ballot)).all()
    assert ballot.user_id == voter.id and ballot.project_ids == [bancs.id, arbres.id]
    [mail] = mails("lea@example.org")
    assert mail.subject == "Your vote is recorded"
    assert "Bancs" in mail.body and "Arbres" in mail.body and "Fontaine" not in mail.body
    page = client.get(_vote_url(b)).get_data(as_text=True)
    assert "Change my vote" in page and f'value="{bancs.id}" data-cost="30000" checked' in page


def test_changing_the_ballot_keeps_one_row_and_only_the_last_choice_counts(client, login, budget, mails):
    b = budget.make("approval", max_choices=2)
    voter = budget.voter(email="lea@example.org")
    login(voter)
    first, second = b.projects[0], b.projects[3]
    assert client.post(_vote_url(b), data={"project": [first.id], "action": "submit"}).status_code == 302
    assert client.post(_vote_url(b), data={"project": [second.id], "action": "submit"}).status_code == 302
    [ballot] = db.session.scalars(sa.select(Ballot)).all()
    assert ballot.project_ids == [second.id] and ballot.version == 2
    last = mails("lea@example.org")[-1]
    assert "replaces the previous one" in last.body and "Piste cyclable" in last.body


def test_knapsack_ballot_refuses_a_choice_over_the_envelope_and_shows_the_remaining_budget(client, login, budget):
    b = budget.make("knapsack", envelopes=((None, 100_000),))
    login(budget.voter())
    bancs, arbres, fontaine, piste = b.projects
    resp = client.post(_vote_url(b), data={"project": [arbres.id, piste.id], "action": "submit"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "There is a problem" in html and "more than the" in html
    assert count_rows(Ballot) == 0
    resp = client.post(_vote_url(b), data={"project": [bancs.id, arbres.id], "action": "check"})
    assert re.search(r'data-out="remaining">20\D000\D€<', resp.get_data(as_text=True))
    assert client.post(_vote_url(b), data={"project": [bancs.id, arbres.id], "action": "submit"}).status_code == 302
    assert db.session.scalar(sa.select(Ballot.project_ids)) == [bancs.id, arbres.id]


def test_knapsack_minimum_share_to_spend_is_enforced(budget, web):
    b = budget.make("knapsack", min_spend_percent=50)
    voter = budget.voter()
    with pytest.raises(ValidationError) as err:
        services.cast_ballot(voter, b.envelope, [b.projects[0].id])
    assert "at least 50%" in err.value.fields["ballot"]
    with web():
        services.cast_ballot(voter, b.envelope, [b.projects[0].id, b.projects[1].id])


def test_cumulative_ballot_counts_points_left_and_refuses_too_many(client, login, budget, mails):
    b = budget.make("cumulative", points_total=5, points_max_per_project=3)
    login(budget.voter(email="lea@example.org"))
    p1, p2, p3, _p4 = b.projects
    resp = client.post(_vote_url(b), data={f"points-{p1.id}": "3", f"points-{p2.id}": "3", "action": "submit"})
    assert resp.status_code == 422 and "You gave 6 points but have 5." in resp.get_data(as_text=True)
    resp = client.post(_vote_url(b), data={f"points-{p1.id}": "4", "action": "check"})
    assert "At most 3 points per project." in resp.get_data(as_text=True)
    resp = client.post(_vote_url(b), data={f"points-{p1.id}": "3", f"points-{p3.id}": "1", "action": "check"})
    assert '<span data-out="left">1</span>' in resp.get_data(as_text=True)
    resp = client.post(_vote_url(b), data={f"points-{p1.id}": "3", f"points-{p3.id}": "2", "action": "submit"})
    assert resp.status_code == 302
    ballot = db.session.scalar(sa.select(Ballot))
    assert ballot.project_ids == [p1.id, p3.id] and ballot.points == [3, 2]
    assert "3 points" in mails("lea@example.org")[0].body


def test_ranking_ballot_keeps_the_order_and_refuses_a_project_twice(client, login, budget, mails):
    b = budget.make("ranking", rank_max=2)
    login(budget.voter(email="lea@example.org"))
    p1, p2 = b.projects[2], b.projects[0]
    resp = client.post(_vote_url(b), data={"rank-1": str(p1.id), "rank-2": str(p1.id), "action": "submit"})
    assert resp.status_code == 422 and "A project is chosen twice." in resp.get_data(as_text=True)
    resp = client.post(_vote_url(b), data={"rank-1": str(p1.id), "rank-2": str(p2.id), "action": "submit"})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(Ballot.project_ids)) == [p1.id, p2.id]
    body = mails("lea@example.org")[0].body
    assert "1. Fontaine" in body and "2. Bancs" in body


def test_the_ballot_page_works_in_french(client, login, budget):
    b = budget.make("knapsack")
    login(budget.voter(locale="fr"))
    resp = client.post(_vote_url(b), data={"project": [b.projects[0].id], "action": "check"})
    html = resp.get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Vérifier mon bulletin" in html and "Budget restant" in html


def test_only_verified_residents_of_the_district_vote_in_its_envelope(client, login, budget, factory, web):
    b = budget.make("approval", envelopes=(("N", 60_000), (None, 40_000)),
                    projects=(("Bancs", 30_000, 0), ("Arbres", 20_000, 1)))
    north_env, city_env = b.envelopes
    southerner = budget.voter(district=budget.south)
    with pytest.raises(PermissionDenied) as err:
        services.cast_ballot(southerner, north_env, [b.projects[0].id])
    assert "Only verified residents of Nord" in err.value.message
    # Any verified resident votes in the city-wide envelope.
    with web():
        services.cast_ballot(southerner, city_env, [b.projects[1].id])
    unverified = factory.user()
    login(unverified)
    resp = client.post(f"/budgets/{b.edition.id}/vote/{city_env.id}",
                       data={"project": [b.projects[1].id], "action": "submit"})
    assert resp.status_code == 403
    assert count_rows(Ballot, Ballot.user_id == unverified.id) == 0


def test_the_database_refuses_a_second_ballot_for_the_same_person(budget):
    b = budget.make("approval")
    voter = budget.voter()
    factories.ballot(voter, b.envelope, [b.projects[0]])
    db.session.add(Ballot(envelope_id=b.envelope.id, user_id=voter.id, channel=BallotChannel.ONLINE,
                          project_ids=[b.projects[1].id]))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_no_ballot_once_voting_has_closed(budget):
    b = budget.make("approval")
    voter = budget.voter()
    budget.enter_phase(b.edition, "results")
    with pytest.raises(PermissionDenied) as err:
        services.cast_ballot(voter, b.envelope, [b.projects[0].id])
    assert err.value.message == "Voting is not open."


def _paper(b, mediator_client, **over):
    data = {"reference": "T-0001", "last_name": "Durand", "first_name": "Éloïse", "birth_date": "1950-04-02",
            "postcode": "31300", "email": "", "project": [b.projects[0].id]}
    data.update(over)
    return mediator_client.post(f"/budgets/{b.edition.id}/paper/{b.envelope.id}", data=data)


def test_mediator_enters_a_paper_ballot_audited_and_the_voter_cannot_vote_again_on_paper(client, login, budget):
    b = budget.make("approval")
    login(budget.mediator)
    resp = _paper(b, client)
    assert resp.status_code == 302
    ballot = db.session.scalar(sa.select(Ballot))
    assert ballot.channel == BallotChannel.PAPER and ballot.paper_reference == "T-0001"
    assert ballot.entered_by_id == budget.mediator.id and ballot.user_id is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "budget.paper_ballot_entered"))
    assert entry.actor_id == budget.mediator.id and entry.data["reference"] == "T-0001"
    # Same person, written differently, with another ballot: refused.
    resp = _paper(b, client, reference="T-0002", last_name="DURAND", first_name="eloise")
    assert resp.status_code == 422 and "already voted" in resp.get_data(as_text=True)
    # Same reference twice: refused.
    resp = _paper(b, client, last_name="Martin")
    assert resp.status_code == 422 and "already recorded" in resp.get_data(as_text=True)
    assert count_rows(Ballot) == 1 and count_rows(PaperVoter) == 1


def test_a_paper_voter_with_an_account_cannot_vote_online_afterwards(client, login, budget):
    b = budget.make("approval")
    voter = budget.voter(email="lea@example.org")
    login(budget.mediator)
    assert _paper(b, client, email="lea@example.org").status_code == 302
    with pytest.raises(PermissionDenied) as err:
        services.cast_ballot(voter, b.envelope, [b.projects[1].id])
    assert "voted on paper" in err.value.message
    assert db.session.scalar(sa.select(Ballot.project_ids)) == [b.projects[0].id]


def test_only_mediators_enter_paper_ballots(client, login, budget):
    b = budget.make("approval")
    login(budget.voter())
    assert _paper(b, client).status_code == 403
    assert count_rows(Ballot) == 0


def test_turnout_is_shown_during_the_vote_but_never_the_running_results(client, budget):
    b = budget.make("approval")
    for _n in range(2):
        factories.ballot(budget.voter(), b.envelope, [b.projects[0]])
    html = client.get(f"/budgets/{b.edition.id}").get_data(as_text=True)
    assert "never the running results" in html
    assert re.search(r'<td class="num">2 \(', html)
    assert client.get(f"/api/v1/budgets/{b.edition.id}/results").status_code == 404
    assert "not published yet" in client.get(f"/budgets/{b.edition.id}/results").get_data(as_text=True)


def test_a_paper_ballot_after_voting_closed_is_a_conflict_and_the_form_keeps_its_input(client, login, budget):
    b = budget.make("approval")
    budget.enter_phase(b.edition, "results")
    login(budget.mediator)
    resp = _paper(b, client, reference="T-0042")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Voting is not open." in html and 'value="T-0042"' in html and 'value="Durand"' in html
    assert count_rows(Ballot) == 0


def test_the_ballot_page_says_why_a_paper_voter_cannot_vote_online(client, login, budget):
    b = budget.make("approval")
    voter = budget.voter(email="lea@example.org")
    login(budget.mediator)
    assert _paper(b, client, email="lea@example.org").status_code == 302
    client.post("/account/logout")
    login(voter)
    resp = client.post(_vote_url(b), data={"project": [b.projects[1].id], "action": "submit"})
    assert resp.status_code == 403 and "voted on paper" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ballot.project_ids)) == [b.projects[0].id]
