"""Daily limits per person on proposals and amendments: over the limit the
form comes back with 429, a sentence that says when, and the text kept."""

from civic.processes import services
from civic.processes.models import Amendment, Proposal
from tests.helpers import count_rows
from tests.processes import factories


def _html(resp):
    return resp.get_data(as_text=True)


def test_limits_are_sensible_for_residents():
    assert services.PROPOSALS_PER_DAY == 5
    assert services.AMENDMENTS_PER_DAY == 10


def test_the_sixth_proposal_of_the_day_is_refused_with_429_and_the_text_kept(
        client, login, factory, make_process, make_proposal):
    process = make_process()
    me = factory.user(email="prolific@example.org")
    for i in range(services.PROPOSALS_PER_DAY):
        make_proposal(process, author=me, title=f"Proposition numéro {i + 1} pour le quartier",
                      body=f"Un texte assez long pour être une proposition, variante {i + 1}.")
    login(me)
    data = {"title": "Des bancs le long du canal du Midi",
            "body": "Des bancs tous les deux cents mètres le long du canal, à l'ombre des platanes.",
            "district_id": "", "similar_seen": "1"}
    resp = client.post(f"/processes/{process.id}/proposals/new", data=data)
    html = _html(resp)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "There is a problem" in html
    assert "You have published 5 proposals today, the most one person can publish in a day." in html
    assert "You can publish another in" in html
    assert 'value="Des bancs le long du canal du Midi"' in html and "à l&#39;ombre des platanes" in html
    assert count_rows(Proposal) == 5
    # Someone else is not affected.
    client.post("/account/logout")
    login(factory.user())
    assert client.post(f"/processes/{process.id}/proposals/new", data=data).status_code == 302
    assert count_rows(Proposal) == 6


def test_the_eleventh_amendment_of_the_day_is_refused_with_429_and_the_text_kept(
        client, login, factory, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    me = factory.user(email="amender@example.org")
    for i in range(services.AMENDMENTS_PER_DAY):
        factories.amendment(proposal, me, addition=f" Ajout numéro {i + 1}.")
    login(me)
    resp = client.post(f"/proposals/{proposal.id}/amend", data={
        "title": proposal.title, "body": proposal.body + " Et des arceaux pour les vélos cargos.",
        "explanation": "Les familles ont des vélos cargos."})
    html = _html(resp)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "You have proposed 10 amendments today, the most one person can propose in a day." in html
    assert "Et des arceaux pour les vélos cargos." in html and "Les familles ont des vélos cargos." in html
    assert count_rows(Amendment) == 10
    client.post("/account/logout")
    login(factory.user())
    assert client.post(f"/proposals/{proposal.id}/amend", data={
        "title": proposal.title, "body": proposal.body + " Et des arceaux.",
        "explanation": "Stationner les vélos."}).status_code == 302
