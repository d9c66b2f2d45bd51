"""Site-wide search: what a visitor finds at /search, on SQLite (FTS5) and
PostgreSQL (French stemming, accents ignored)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civic.extensions import db
from civic.moderation import services as moderation
from civic.search.index import reindex
from civic.search.models import SearchDocument
from tests import factories
from tests.deliberation import factories as df
from tests.helpers import count_queries, count_rows
from tests.moderation import factories as mf
from tests.petitions import factories as pf
from tests.processes import factories as prf


def _pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def _results(html: str) -> str:
    return html.split('class="search-results"', 1)[1].split("</ol>", 1)[0] if "search-results" in html else ""


def _page(client, **args):
    resp = client.get("/search", query_string=args)
    return resp, resp.get_data(as_text=True)


def test_an_empty_query_shows_the_form_without_results(client):
    resp, html = _page(client)
    assert resp.status_code == 200
    assert 'role="search"' in html and 'name="q"' in html
    assert "result" not in html.split("<main", 1)[1].lower().split("</form>")[-1]
    resp, _html = _page(client, q="   ")
    assert resp.status_code == 200


def test_the_header_has_one_search_box_with_a_label_and_a_button(client):
    html = client.get("/").get_data(as_text=True)
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert header.count('role="search"') == 1
    assert '<label for="site-search"' in header and 'id="site-search"' in header
    assert '<button type="submit">Search</button>' in header
    # Just before the language switch.
    assert header.index('role="search"') < header.index('class="lang-switch"')


def test_accents_are_ignored(client):
    pf.petition(title="Des pistes pour les vélos", background="Rue piétonne et sécurisée.")
    _resp, html = _page(client, q="velos")
    assert "pistes pour les" in html and "1 result" in html
    _resp, html = _page(client, q="PIETONNE")
    assert "1 result" in html
    assert "<mark>" in html


def test_accents_and_word_endings_are_ignored_on_either_database(client):
    """PostgreSQL matches French stems (unaccent + french_stem, as prefixes),
    SQLite's FTS5 fallback matches accent-free prefixes: the same queries
    find the same item on both, and a word that is not there finds nothing.
    One test for both databases, so CI (PostgreSQL) skips none of it."""
    pf.petition(title="Des pistes pour les vélos", background="Des rues piétonnes le dimanche.")
    queries = ["velo", "Vélo", "pieton", "piéton", "pistes velos"]
    if _pg():
        queries += ["pietonne", "piétonne"]  # the stem of « piétonnes » is « pieton »
    for q in queries:
        _resp, html = _page(client, q=q)
        assert "1 result" in html, q
    _resp, html = _page(client, q="velo autobus")
    assert "Nothing found" in html


def test_results_are_grouped_by_kind_with_counts_as_filter_links(client):
    for n in range(7):
        pf.petition(title=f"Tramway ligne {n}")
    df.debate(title="Le tramway dans le centre", body="Quel tracé pour le tramway ?")
    proc = prf.process(title="Projet tramway 2030")
    _resp, html = _page(client, q="tramway")
    assert "9 results" in html
    assert "Petition (7)" in html and "Debate (1)" in html and "Participatory process (1)" in html
    # Five per kind in the overview, and a link to the rest.
    petitions = html.split('id="results-petition"', 1)[1].split("</section>", 1)[0]
    assert petitions.count("<li>") == 5
    assert "kind=petition" in petitions
    _resp, html = _page(client, q="tramway", kind="petition")
    assert _results(html).count('href="/petitions/') == 7
    assert "Le tramway dans le centre" not in html
    assert 'aria-current="page">Petition (7)' in html
    _resp, html = _page(client, q="tramway", kind="process")
    assert f'href="/processes/{proc.id}"' in html


def test_pages_of_one_kind(client):
    for n in range(23):
        pf.petition(title=f"Marché numéro {n}")
    _resp, first = _page(client, q="marché", kind="petition")
    _resp, second = _page(client, q="marché", kind="petition", page=2)
    assert _results(first).count('<li><a href="/petitions/') == 20
    assert _results(second).count('<li><a href="/petitions/') == 3
    assert 'rel="next"' in first and 'rel="prev"' in second
    resp, _html = _page(client, q="marché", kind="petition", page="x")
    assert resp.status_code == 422


def test_the_district_filter(client):
    north, south = factories.district(name="Nord"), factories.district(name="Sud")
    pf.petition(title="Jardin partagé au nord", district=north)
    pf.petition(title="Jardin partagé au sud", district=south)
    _resp, html = _page(client, q="jardin", district=north.id)
    assert "au nord" in html and "au sud" not in html and "1 result" in html
    assert f'<option value="{north.id}" selected>Nord</option>' in html
    resp, _html = _page(client, q="jardin", district="nord")
    assert resp.status_code == 422


def test_drafts_and_hidden_items_are_not_found(client):
    pf.petition(state="draft", title="Brouillon secret de fontaine")
    pf.petition(state="moderation", title="Fontaine en attente")
    pf.petition(title="Fontaine publique")
    _resp, html = _page(client, q="fontaine")
    assert "1 result" in html and "Brouillon" not in html and "attente" not in html


def test_hidden_by_moderation_leaves_the_results_at_once(client):
    debate = df.debate(title="Kiosque à musique", body="Rénover le kiosque.")
    _resp, html = _page(client, q="kiosque")
    assert "1 result" in html
    moderator = factories.user(roles=["moderator"])
    mf.report(debate, factories.user(), kind="debate")
    moderation.decide_case(moderator, mf.case(debate, kind="debate").id, "hide", "spam", mf.STATEMENT, None)
    db.session.commit()
    assert count_rows(SearchDocument, SearchDocument.kind == "debate") == 0
    _resp, html = _page(client, q="kiosque")
    assert "Nothing found" in html


def test_a_draft_process_and_its_proposals_appear_when_it_is_published(client):
    proc = prf.process(title="Budget des écoles")
    prf.proposal(proc, title="Une cour végétalisée", body="Des arbres et des massifs dans la cour de l’école du quartier.")
    _resp, html = _page(client, q="végétalisée")
    assert "1 result" in html
    proc.published_at = None  # back to draft, as if never published
    db.session.commit()
    _resp, html = _page(client, q="végétalisée")
    assert "Nothing found" in html


def test_no_personal_data_in_the_index_nor_the_results(client):
    author = factories.user(email="zebulon.martin@example.org", name="Zébulon Martin")
    pf.petition(title="Abri pour les chats", creator=author)
    df.debate(author=factories.user(name="Zébulon Officiel", roles=["official"]), title="Chats errants")
    proc = prf.process(title="Animaux en ville")
    prf.proposal(proc, author=author, title="Des chats adoptés", body="Un refuge municipal pour les chats du quartier, avec des bénévoles.")
    for q in ("Zébulon", "zebulon", "Martin", "example"):
        _resp, html = _page(client, q=q)
        assert "Nothing found" in html, q
    rows = db.session.execute(sa.select(SearchDocument.title, SearchDocument.body, SearchDocument.url)).all()
    assert len(rows) == 4
    assert not any("Zébulon" in " ".join(r) or "example.org" in " ".join(r) for r in rows)
    _resp, html = _page(client, q="chats")
    assert "3 results" in html and "Zébulon" not in html


def test_a_constant_number_of_queries_whatever_the_results(client, app):
    def queries(**args):
        _resp, n = count_queries(lambda: client.get("/search", query_string=args))
        return n

    pf.petition(title="Piscine municipale")
    df.debate(title="Piscine couverte")
    few = queries(q="piscine"), queries(q="piscine", kind="petition")
    for n in range(15):
        pf.petition(title=f"Piscine {n}")
        df.debate(title=f"Piscine débat {n}")
    prf.process(title="Piscine et sport")
    many = queries(q="piscine"), queries(q="piscine", kind="petition")
    assert many == few
    assert few[0] <= 6


@pytest.mark.parametrize("q", ['"', '""', "vélo\"*", "*", "NEAR(a b)", "NEAR(", "a OR", "AND", "-", "title:x",
                               "^", "(((", "'; DROP TABLE search_document; --", "<script>alert(1)</script>",
                               "x" * 5000, "é" * 300, "\u200b", "a:b:c", "\ue000 kiosque \ue001"])
def test_weird_input_is_never_an_error(client, q):
    pf.petition(title="Kiosque à journaux")
    resp, html = _page(client, q=q)
    assert resp.status_code == 200, html
    assert "<script>alert" not in html


def test_nul_and_bad_parameters_are_4xx(client):
    assert client.get("/search?q=a%00b").status_code in (400, 422)
    assert client.get("/search?q=a&page=0").status_code == 422
    assert client.get("/search?q=a&district=99999999999").status_code == 422
    assert client.get("/search?q=a&kind=nope").status_code == 200


def test_snippets_are_escaped(client):
    pf.petition(title="Kiosque <b>gras</b>", background="Texte <img src=x onerror=alert(1)> kiosque & co")
    _resp, html = _page(client, q="kiosque")
    assert "<img" not in html and "onerror=alert(1)>" not in html
    assert "<mark>" in html


def test_reindex_catches_up_and_writes_only_what_changed(app):
    p = pf.petition(title="Banc public")
    db.session.execute(sa.delete(SearchDocument))  # as if the index were lost
    db.session.commit()
    assert reindex()["petition"] == (1, 0)
    db.session.commit()
    assert reindex()["petition"] == (0, 0)
    db.session.execute(sa.update(type(p)).where(type(p).id == p.id).values(state="draft"))  # bulk SQL
    db.session.commit()
    assert reindex()["petition"] == (0, 1)


def test_the_cli_reindexes(app):
    pf.petition(title="Banc public")
    db.session.execute(sa.delete(SearchDocument))
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["civic", "search", "reindex"])
    assert out.exit_code == 0, out.output
    assert "petition: 1 written, 0 deleted" in out.output
    assert count_rows(SearchDocument) == 1


def test_the_periodic_job_is_registered():
    from civic.core.jobs import periodic_jobs

    assert {p.name: p.every for p in periodic_jobs()}["search.reindex"] == 900


def test_a_deleted_item_leaves_the_index_in_its_transaction(app):
    p = pf.petition(title="Banc public")
    assert count_rows(SearchDocument, SearchDocument.kind == "petition") == 1
    db.session.delete(p)
    db.session.flush()
    assert count_rows(SearchDocument, SearchDocument.kind == "petition") == 0
    db.session.rollback()  # and a rollback keeps it
    assert count_rows(SearchDocument, SearchDocument.kind == "petition") == 1
