"""Managing an edition through its page: envelopes and the phase moved by hand."""

from __future__ import annotations

from civic.budgets import services
from civic.budgets.models import Envelope
from civic.core import phases
from tests.helpers import count_rows


def test_official_adds_an_envelope_and_one_over_the_total_is_refused_next_to_its_field(client, login, budget):
    b = budget.make("approval", phase="submission", envelopes=((None, 60_000),), projects=())
    login(budget.official)
    url = f"/budgets/{b.edition.id}/manage"
    resp = client.post(url, data={"action": "envelope", "envelope-district_id": str(budget.north.id),
                                  "envelope-amount": "50000"})
    assert resp.status_code == 422
    assert "would exceed the edition" in resp.get_data(as_text=True)
    assert 'value="50000"' in resp.get_data(as_text=True)
    # The whole city's envelope shrinks, then the district's fits.
    assert client.post(url, data={"action": "envelope", "envelope-district_id": "",
                                  "envelope-amount": "20000"}).status_code == 302
    assert client.post(url, data={"action": "envelope", "envelope-district_id": str(budget.north.id),
                                  "envelope-amount": "40000"}).status_code == 302
    assert count_rows(Envelope, Envelope.edition_id == b.edition.id) == 2


def test_admin_moves_the_phase_by_hand_with_a_reason(client, login, budget):
    b = budget.make("approval", phase="submission", projects=())
    voting = next(p for p in phases.phases_for(services.KIND, b.edition.id) if p.code == "voting")
    login(budget.admin)
    url = f"/budgets/{b.edition.id}/manage"
    resp = client.post(url, data={"action": "phase", "phase-phase_id": str(voting.id), "phase-reason": ""})
    assert resp.status_code == 422 and "Say why the phase is moved by hand." in resp.get_data(as_text=True)
    assert client.post(url, data={"action": "phase", "phase-phase_id": str(voting.id),
                                  "phase-reason": "Ouverture anticipée"}).status_code == 302
    assert services.current_phase_code(b.edition) == "voting"
    assert "they can no longer change" in client.get(f"/budgets/{b.edition.id}").get_data(as_text=True)


def test_the_rules_form_shows_only_the_settings_of_the_chosen_way_of_voting(client, login, budget):
    b = budget.make("cumulative", phase="submission", projects=(), points_total=10)
    login(budget.official)
    html = client.get(f"/budgets/{b.edition.id}/manage").get_data(as_text=True)
    assert "Points: points per voter" in html
    assert "Approval: minimum number of projects" not in html and "Ranking: how many projects" not in html


def test_computed_results_are_published_from_the_manage_page(client, login, budget, run_jobs):
    b = budget.make("approval", phase="voting")
    budget.enter_phase(b.edition, "results")
    run_jobs()
    login(budget.official)
    html = client.get(f"/budgets/{b.edition.id}/manage").get_data(as_text=True)
    assert "Check them before publishing" in html
    assert f'action="/budgets/{b.edition.id}/publish"' in html
    assert client.post(f"/budgets/{b.edition.id}/publish").status_code == 302
    assert "The results are published." in client.get(f"/budgets/{b.edition.id}/manage").get_data(as_text=True)


def test_a_new_edition_is_a_draft_until_published_with_an_envelope(app, client, login, budget, factory):
    from tests.budgets import factories

    draft = factories.edition(budget.official, title="Budget 2028", envelopes=(), published=False,
                              total_amount=50_000, phase=None)
    url = f"/budgets/{draft.id}"
    # Residents and the API do not see it.
    assert client.get(url).status_code == 404
    assert "Budget 2028" not in client.get("/budgets/").get_data(as_text=True)
    assert client.get(f"/api/v1/budgets/{draft.id}").status_code == 404
    assert all(e["id"] != draft.id for e in client.get("/api/v1/budgets").get_json()["items"])
    # Its manager sees it, marked as a draft, and cannot publish it without an envelope.
    login(budget.official)
    assert "Draft: residents do not see this edition yet." in client.get(url).get_data(as_text=True)
    manage = client.get(f"/budgets/{draft.id}/manage").get_data(as_text=True)
    assert "This edition is a draft" in manage
    client.post(f"/budgets/{draft.id}/publish-edition")
    assert "Add at least one envelope before publishing" in client.get(f"/budgets/{draft.id}/manage").get_data(as_text=True)
    assert client.post(f"/budgets/{draft.id}/manage", data={"action": "envelope", "envelope-district_id": "",
                                                            "envelope-amount": "50000"}).status_code == 302
    assert client.post(f"/budgets/{draft.id}/publish-edition").status_code == 302
    client.post("/account/logout")
    assert client.get(url).status_code == 200
    assert client.get(f"/api/v1/budgets/{draft.id}").status_code == 200
