"""Public pages: list (filters, search, sorts, bounded queries), petition page
(count, progress, districts, history, cache headers), CSV, French."""

import csv
import io
import re

from civic.extensions import db
from civic.petitions.models import DistrictCount
from tests.helpers import count_queries


def test_list_filters_by_state_district_topic_and_searches(client, pf, factory):
    d = factory.district(code="T06", name="Saint-Cyprien")
    pf.petition(title="Rouvrir la piscine Alfred Nakache le dimanche", topic="sport")
    pf.petition(title="Installer des fontaines au jardin Raymond VI", district=d, topic="environment")
    pf.petition("closed", title="Ouvrir la médiathèque le samedi soir", topic="culture")
    pf.petition("draft", title="Brouillon secret")
    pf.petition("rejected", title="Interdire les trottinettes", reason_code="outside_remit")
    html = client.get("/petitions/").get_data(as_text=True)
    assert "piscine" in html and "médiathèque" in html
    assert "Brouillon secret" not in html and "trottinettes" not in html
    html = client.get("/petitions/?state=rejected").get_data(as_text=True)
    assert "trottinettes" in html and "piscine" not in html
    html = client.get("/petitions/?district=T06").get_data(as_text=True)
    assert "fontaines" in html and "piscine" not in html
    html = client.get("/petitions/?topic=culture").get_data(as_text=True)
    assert "médiathèque" in html and "piscine" not in html
    html = client.get("/petitions/?q=piscine").get_data(as_text=True)
    assert "piscine" in html and "fontaines" not in html
    assert "How is this sorted?" in html


def test_list_sorts_by_signatures_and_closing_soon(client, pf):
    from datetime import timedelta

    from civic.core.time import utcnow

    a = pf.petition(title="Petite demande", signature_count=3, closes_at=utcnow() + timedelta(days=3))
    b = pf.petition(title="Grande demande", signature_count=300, closes_at=utcnow() + timedelta(days=90))
    html = client.get("/petitions/?sort=signatures").get_data(as_text=True)
    assert html.index(b.title) < html.index(a.title)
    html = client.get("/petitions/?sort=closing").get_data(as_text=True)
    assert html.index(a.title) < html.index(b.title)


def test_list_page_runs_a_constant_number_of_queries(client, pf, factory):
    d = factory.district()
    for i in range(3):
        pf.petition(title=f"Demande {i}", district=d)
    _resp, few = count_queries(lambda: client.get("/petitions/"))
    for i in range(25):
        pf.petition(title=f"Autre demande {i}", district=factory.district())
    _resp, many = count_queries(lambda: client.get("/petitions/"))
    assert many == few
    assert "Next page" in client.get("/petitions/").get_data(as_text=True)


def test_petition_page_shows_count_progress_districts_and_history(client, pf, factory, tally):
    d = factory.district(name="Saint-Cyprien")
    petition = pf.petition(response_threshold=10, title="Rouvrir la piscine")
    pf.signatures(petition, 4, district=d)
    tally()
    resp = client.get(f"/petitions/{petition.id}")
    html = resp.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert 'aria-live="polite"' in html and "<strong data-count>4</strong>" in html
    assert 'max="10" value="4"' in html
    assert "Saint-Cyprien" in html
    assert "petitions/count.js" in html  # progressive enhancement, no inline script
    assert "<script>" not in html


def test_public_pages_and_count_are_cacheable_for_one_tally_interval(client, pf):
    petition = pf.petition()
    resp = client.get(f"/petitions/{petition.id}")
    assert resp.headers["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert resp.headers["Last-Modified"]
    again = client.get(f"/petitions/{petition.id}", headers={"If-Modified-Since": resp.headers["Last-Modified"]})
    assert again.status_code == 304
    count = client.get(f"/api/v1/petitions/{petition.id}/count")
    assert count.headers["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert count.headers["Last-Modified"]
    assert client.get("/petitions/").headers["Cache-Control"].startswith("public, max-age=5")
    # Forms are never stored.
    assert client.get(f"/petitions/{petition.id}/sign").headers["Cache-Control"] == "no-store"


def test_logged_in_pages_are_not_shared_by_caches(client, login, factory, pf):
    petition = pf.petition()
    login(factory.user())
    assert client.get(f"/petitions/{petition.id}").headers["Cache-Control"] == "private, no-store"


def test_csv_lists_public_petitions_without_personal_data(client, pf):
    petition = pf.petition(title="Rouvrir la piscine")
    pf.signatures(petition, 2)
    pf.petition("draft", title="Brouillon")
    resp = client.get("/petitions/petitions.csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["Rouvrir la piscine"]
    assert "@" not in resp.get_data(as_text=True)


def test_creation_preview_shows_similar_open_petitions(client, login, factory, pf):
    pf.petition(title="Rouvrir la piscine Alfred Nakache le dimanche")
    login(factory.user())
    resp = client.post("/petitions/new", data={
        "title": "Ouvrir la piscine Nakache tous les dimanches", "background": "Les familles veulent nager.",
        "topic": "sport", "action": "preview"})
    html = resp.get_data(as_text=True)
    assert "Similar petitions are already open" in html and "Rouvrir la piscine Alfred Nakache" in html


def test_unconfirmed_account_cannot_start_a_petition(client, login, factory):
    login(factory.user(confirmed=False))
    assert client.get("/petitions/new").status_code == 403


def test_petition_pages_are_in_french(client, pf):
    petition = pf.petition()
    html = client.get(f"/petitions/{petition.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Signer cette pétition" in html
    html = client.get("/petitions/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Lancer une pétition" in html


def test_district_counts_survive_on_the_page_without_signer_rows(client, pf, factory):
    d = factory.district(name="Mirail")
    petition = pf.petition("closed", signature_count=12)
    db.session.add(DistrictCount(petition_id=petition.id, district_id=d.id, count=12))
    db.session.commit()
    assert "Mirail" in client.get(f"/petitions/{petition.id}").get_data(as_text=True)


def test_every_petition_page_has_one_h1_labels_and_no_inline_script(client, login, factory, pf):
    user = factory.user(roles=["admin"])
    open_p = pf.petition(creator=user)
    moderation = pf.petition("moderation")
    draft = pf.petition("draft", creator=user)
    pages = ["/petitions/", f"/petitions/{open_p.id}", f"/petitions/{open_p.id}/sign",
             f"/petitions/{open_p.id}/sponsor/{open_p.sponsor_token}"]
    for path in pages:
        resp = client.get(path, follow_redirects=True)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, path
        assert html.count("<h1") == 1 and "<script>" not in html and " style=" not in html, path
    login(user)
    pages += ["/petitions/new", "/petitions/mine", f"/petitions/{draft.id}", f"/petitions/{draft.id}/edit",
              f"/petitions/{open_p.id}/update", f"/petitions/{open_p.id}/respond", f"/petitions/{open_p.id}/debate",
              f"/petitions/{open_p.id}/paper", "/petitions/moderation", f"/petitions/moderation/{moderation.id}",
              f"/petitions/{open_p.id}/remove", "/petitions/moderation/invalidate", "/petitions/moderation/traffic"]
    for path in pages:
        resp = client.get(path, follow_redirects=True)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, path
        assert html.count("<h1") == 1 and "<script>" not in html and " style=" not in html, path
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            found = re.search(r'\bid="([^"]+)"', tag)
            if 'type="hidden"' in tag or not found:
                continue
            assert f'for="{found.group(1)}"' in html, (path, tag)


def test_home_page_lists_open_petitions_with_grouped_counts(client, pf):
    from civic.extensions import db

    petition = pf.petition()
    petition.signature_count = 11442
    db.session.commit()
    resp = client.get("/")
    assert resp.status_code == 200
    assert "11,442 signatures" in resp.get_data(as_text=True)
    fr = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "11\u202f442 signatures" in fr or "11\xa0442 signatures" in fr


def test_anonymous_petition_page_sets_no_cookie_with_csrf_on(app, client, pf):
    # The page a surge lands on: no form token in the session, so no cookie,
    # and shared caches (and civic.core.sharedcache) may keep it.
    app.config["WTF_CSRF_ENABLED"] = True
    petition = pf.petition()
    resp = client.get(f"/petitions/{petition.id}")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"].startswith("public")
