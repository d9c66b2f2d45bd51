"""What the fuzzing of /api/v1 found, one test per fix: the document states
every rule the edge and the services apply, and what they answer."""

from __future__ import annotations

from civic.api import MAX_ID, NO_NUL, build_openapi


def _param(app, path, name):
    op = build_openapi(app)["paths"][path]["get"]
    return next(p for p in op["parameters"] if p["name"] == name)["schema"]


def test_an_id_in_a_query_is_documented_and_checked_as_a_column_holds_it(app, client, world):
    assert _param(app, "/api/v1/budgets/{edition_id}/projects", "envelope") == {
        "type": "integer", "minimum": 0, "maximum": MAX_ID}
    assert _param(app, "/api/v1/proposals", "process")["maximum"] == MAX_ID
    url = f"/api/v1/budgets/{world.edition.id}/projects"
    for bad in ("-1", str(MAX_ID + 1)):
        resp = client.get(f"{url}?envelope={bad}")
        assert resp.status_code == 422 and "envelope" in resp.get_json()["error"]["fields"], bad
    assert client.get(f"{url}?envelope={MAX_ID}").get_json()["items"] == []


def test_free_text_in_a_query_is_documented_without_nul(app, client):
    assert _param(app, "/api/v1/petitions", "q")["pattern"] == NO_NUL
    assert _param(app, "/api/v1/debates", "district")["pattern"] == NO_NUL
    assert "pattern" not in _param(app, "/api/v1/petitions", "state")  # an enum says it all
    assert client.get("/api/v1/petitions?q=a%00b").status_code == 422


def test_the_signing_body_documents_what_the_service_accepts_and_keeps_its_words(app, client, world):
    body = build_openapi(app)["paths"]["/api/v1/petitions/{petition_id}/signatures"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["properties"]["attest"] == {"const": True, "description": "The signer confirms they may sign."}
    assert "pattern" in schema["properties"]["postcode"] and "pattern" in schema["properties"]["email"]
    url = f"/api/v1/petitions/{world.open_petition.id}/signatures"
    resp = client.post(url, json={"name": " ", "email": "a@b.test", "postcode": "", "attest": False})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {
        "name": "Enter your name.", "email": "Enter an email address like name@example.org.",
        "postcode": "Enter your postcode, for example 31000.", "attest": "Tick the box to confirm you may sign."}
    # Types are still refused at the edge, and a NUL anywhere, even in a field the service ignores.
    resp = client.post(url, json={"name": {"x": 1}, "email": "a@example.org", "postcode": "31000", "attest": True})
    assert resp.status_code == 422 and "name" in resp.get_json()["error"]["fields"]
    resp = client.post(url, json={"name": "Ana", "email": "a@example.org", "postcode": "31000", "attest": True,
                                  "extra": ["a\u0000"]})
    assert resp.status_code == 422
    resp = client.post(url, json={"name": "Ana", "email": "ana@example.org", "postcode": "31000", "attest": True,
                                  "extra": {"kept": [1, None]}})
    assert resp.status_code == 202
