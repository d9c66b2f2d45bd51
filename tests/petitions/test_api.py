"""The JSON API: public data only, same signing rules and mail as the form."""

import sqlalchemy as sa

from civic.extensions import db
from civic.petitions.models import Signature
from tests.helpers import reload


def test_api_lists_and_filters_public_petitions(client, pf, factory):
    d = factory.district(code="T17")
    pf.petition(title="Planter des arbres", district=d)
    pf.petition(title="Rouvrir la piscine")
    pf.petition("draft", title="Brouillon")
    data = client.get("/api/v1/petitions").get_json()
    assert {p["title"] for p in data["items"]} == {"Planter des arbres", "Rouvrir la piscine"}
    assert data["page"] == 1 and data["has_next"] is False
    data = client.get("/api/v1/petitions?district=T17").get_json()
    assert [p["title"] for p in data["items"]] == ["Planter des arbres"]
    data = client.get("/api/v1/petitions?q=piscine").get_json()
    assert [p["title"] for p in data["items"]] == ["Rouvrir la piscine"]
    assert client.get("/api/v1/petitions").headers["Access-Control-Allow-Origin"] == "*"


def test_api_detail_has_every_timestamp_and_no_personal_data(client, pf, factory, tally):
    d = factory.district(code="T06")
    creator = factory.user(email="creator@example.org", name="Léa Créatrice")
    petition = pf.petition(creator=creator)
    pf.signatures(petition, 3, district=d)
    tally()
    resp = client.get(f"/api/v1/petitions/{petition.id}")
    data = resp.get_json()
    assert data["signature_count"] == 3
    assert data["signatures_by_district"] == [{"district": "T06", "name": d.name, "count": 3}]
    assert {"created_at", "opened_at", "closes_at", "response_threshold_at", "tallied_at"} <= set(data["timestamps"])
    assert data["thresholds"] == {"response": 10000, "debate": 100000}
    body = resp.get_data(as_text=True)
    assert "@" not in body and "Signer 0" not in body and "Léa Créatrice" not in body
    count = client.get(f"/api/v1/petitions/{petition.id}/count").get_json()
    assert count["signature_count"] == 3 and count["next_threshold"] == 10000


def test_api_signature_is_accepted_with_202_and_mailed(client, pf, mails, tally):
    petition = pf.petition()
    resp = client.post(f"/api/v1/petitions/{petition.id}/signatures",
                       json={"name": "Karim", "email": "karim@example.org", "postcode": "31100", "attest": True})
    assert resp.status_code == 202
    [mail] = mails("karim@example.org")
    client.post(mail.link("/confirm").replace("http://civic.test", ""))
    tally()
    assert reload(petition).signature_count == 1
    # The same person again: accepted, no second row.
    again = client.post(f"/api/v1/petitions/{petition.id}/signatures",
                        json={"name": "Karim", "email": "Karim@Example.org", "postcode": "31100", "attest": True})
    assert again.status_code == 202
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 1


def test_api_signature_errors_name_the_fields(client, pf):
    petition = pf.petition()
    resp = client.post(f"/api/v1/petitions/{petition.id}/signatures", json={"name": "", "email": "x"})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert {"name", "email", "postcode", "attest"} <= set(fields)
    closed = pf.petition("closed")
    resp = client.post(f"/api/v1/petitions/{closed.id}/signatures",
                       json={"name": "A", "email": "a@example.org", "postcode": "31000", "attest": True})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "conflict"


def test_api_hides_unpublished_petitions(client, pf):
    for state in ("draft", "sponsors", "moderation", "hidden"):
        petition = pf.petition(state)
        assert client.get(f"/api/v1/petitions/{petition.id}").status_code == 404
        assert client.get(f"/api/v1/petitions/{petition.id}/count").status_code == 404


def test_every_petition_route_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/petitions", "/api/v1/petitions/{petition_id}", "/api/v1/petitions/{petition_id}/count",
                 "/api/v1/petitions/{petition_id}/signatures"):
        assert path in paths


def test_api_confirms_with_the_mailed_token_only(client, pf, mails, tally):
    petition = pf.petition()
    client.post(f"/api/v1/petitions/{petition.id}/signatures",
                json={"name": "Nadia", "email": "nadia@example.org", "postcode": "31000", "attest": True})
    token = mails()[0].link("/confirm").rsplit("/", 2)[-2]
    assert client.post("/api/v1/petitions/signatures/forged-token/confirm").status_code == 422
    resp = client.post(f"/api/v1/petitions/signatures/{token}/confirm")
    assert resp.status_code == 200 and resp.get_json()["petition_id"] == petition.id
    tally()
    assert reload(petition).signature_count == 1


def test_count_poll_cache_replays_flask_response_and_is_dropped_by_the_tally(app, client, pf, tally):
    import pytest

    if not app.config.get("REDIS_URL"):
        pytest.skip("the shared count cache lives in Redis")
    petition = pf.petition()
    first = client.get(f"/api/v1/petitions/{petition.id}/count")
    cached = client.get(f"/api/v1/petitions/{petition.id}/count")
    assert cached.get_json() == first.get_json()
    assert cached.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert cached.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    again = client.get(f"/api/v1/petitions/{petition.id}/count",
                       headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304
    pf.signatures(petition, 2)
    tally()  # drops the cached copy once the new totals are committed
    assert client.get(f"/api/v1/petitions/{petition.id}/count").get_json()["signature_count"] == 2


def test_a_page_number_out_of_range_is_refused_in_the_api_and_the_list(client, pf):
    pf.petition(title="Planter des arbres")
    for bad in ("0", "-1", "abc", "100001", "99999999999999999999"):
        resp = client.get(f"/api/v1/petitions?page={bad}")
        assert resp.status_code == 422, bad
        assert "page" in resp.get_json()["error"]["fields"]
        assert client.get(f"/petitions/?page={bad}").status_code == 422, bad
    assert client.get("/api/v1/petitions?page=2").get_json()["items"] == []
    assert client.get("/petitions/?page=").status_code == 200
