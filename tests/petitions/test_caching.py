"""The shared cache in front of the petition page and its count (Redis only).

A surge of anonymous visitors is served the page Flask rendered for the first
of them, for at most one tally interval; anything that changes the petition
drops the copy at commit, and visitors with a session never see it.
"""

import pytest
import sqlalchemy as sa

from civic.extensions import db
from civic.petitions import caching
from civic.petitions.models import Petition


@pytest.fixture(autouse=True)
def _needs_redis(app):
    if not app.config.get("REDIS_URL"):
        pytest.skip("the shared cache lives in Redis")


def _rename_behind_the_orms_back(petition_id, title):
    # A Core statement the ORM does not see: only the TTL or a purge would show it.
    db.session.execute(sa.update(Petition.__table__).where(Petition.__table__.c.id == petition_id)
                       .values(title=title))
    db.session.commit()


def test_anonymous_visitors_get_the_first_rendering_until_the_petition_changes(app, client, pf):
    petition = pf.petition(title="Rouvrir la piscine le dimanche")
    url = f"/petitions/{petition.id}"
    first = client.get(url)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert "public" in first.headers["Cache-Control"]
    _rename_behind_the_orms_back(petition.id, "Titre changé en douce")
    replay = client.get(url)
    assert "Rouvrir la piscine le dimanche" in replay.get_data(as_text=True)
    assert replay.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    # Tracking parameters added by social networks share the copy; other queries do not.
    assert "Rouvrir la piscine" in client.get(url + "?utm_source=mastodon&fbclid=x").get_data(as_text=True)
    assert "Titre changé en douce" in client.get(url + "?page=2").get_data(as_text=True)
    # A change through a service (the ORM) drops the copy at commit.
    caching.changed(db.session, [petition.id])
    db.session.commit()
    assert "Titre changé en douce" in client.get(url).get_data(as_text=True)


def test_a_visitor_with_a_session_is_never_served_the_shared_copy(app, client, pf, factory, login):
    petition = pf.petition(title="Planter des arbres rue Alsace")
    url = f"/petitions/{petition.id}"
    client.get(url)  # cached for anonymous visitors
    _rename_behind_the_orms_back(petition.id, "Planter des tilleuls")
    login(factory.user(email="lea@example.org"))
    page = client.get(url)
    assert "Planter des tilleuls" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_languages_are_cached_apart(app, client, pf):
    petition = pf.petition()
    url = f"/petitions/{petition.id}"
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    french = client.get(url, headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="fr"' in french
    assert 'lang="fr"' in client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_a_removed_petition_answers_410_at_once(app, client, pf, factory):
    from civic.accounts.models import Role
    from civic.petitions import services

    petition = pf.petition()
    url = f"/petitions/{petition.id}"
    assert client.get(url).status_code == 200
    moderator = factory.user(email="mod@example.org", roles=[Role.MODERATOR])
    services.remove_petition(moderator, db.session.get(Petition, petition.id), "personal_data",
                             "Le texte nommait une voisine.")
    db.session.commit()
    assert client.get(url).status_code == 410
    assert client.get(f"/api/v1/petitions/{petition.id}/count").status_code == 410


def test_a_tally_refreshes_the_count_at_once_and_the_page_within_its_max_age(app, client, pf, tally):
    petition = pf.petition()
    url = f"/petitions/{petition.id}"
    assert "data-count>0<" in client.get(url).get_data(as_text=True).replace(" ", "")
    assert client.get(f"/api/v1/petitions/{petition.id}/count").get_json()["signature_count"] == 0
    pf.signatures(petition, 3)
    tally()
    assert client.get(f"/api/v1/petitions/{petition.id}/count").get_json()["signature_count"] == 3
    # A tally folding a backlog commits batch after batch: the page is not
    # re-rendered for each one; its script polls the fresh count meanwhile.
    assert "data-count>0<" in client.get(url).get_data(as_text=True).replace(" ", "")
