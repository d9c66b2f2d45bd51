"""Bad input is refused at the edge with a clear 4xx, never a 500."""


import pytest
import sqlalchemy as sa

from civic import create_app
from tests.conftest import _config


@pytest.mark.parametrize("path", ["/petitions/99999999999999999999", "/api/v1/petitions/2147483648",
                                  "/api/v1/petitions/2147483648/count", "/api/v1/processes/99999999999",
                                  "/api/v1/consultations/99999999999", "/api/v1/budgets/99999999999",
                                  "/api/v1/debates/99999999999"])
def test_an_id_beyond_the_columns_is_an_unknown_page(client, path):
    assert client.get(path).status_code == 404


def test_an_id_beyond_the_columns_is_unknown_for_a_post_too(client):
    resp = client.post("/api/v1/petitions/2147483648/signatures", json={"name": "A"})
    assert resp.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/petitions?q=%00", "/api/v1/debates?q=%00", "/petitions/?q=%00",
                                  "/petitions/?district=%00", "/api/v1/accountability?district=%00",
                                  "/petitions/petitions.csv?q=%00"])
def test_a_nul_character_in_a_query_is_a_422_naming_the_field(client, path):
    resp = client.get(path)
    assert resp.status_code == 422
    if path.startswith("/api/"):
        fields = resp.get_json()["error"]["fields"]
        assert list(fields) == [path.split("?")[1].split("=")[0]]


def test_a_nul_character_in_a_form_is_refused_and_nothing_is_written(client, factory, login):
    from civic.petitions.models import Petition

    login(factory.user())
    resp = client.post("/petitions/new", data={"title": "Des bancs\x00", "background": "x"})
    assert resp.status_code == 422
    from civic.extensions import db

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Petition)) == 0


def test_deeply_nested_json_and_lone_surrogates_are_422(client):
    deep = "[" * 5000 + "]" * 5000
    for body in (deep, '{"name": "\\ud800"}', '{"name": "a\\u0000b"}', "{not json"):
        resp = client.post("/api/v1/petitions/1/signatures", data=body, content_type="application/json")
        assert resp.status_code == 422, body[:20]
        assert resp.get_json()["error"]["code"] == "invalid"


def test_a_method_not_allowed_says_which_are(client):
    resp = client.delete("/api/v1/petitions")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]


def test_an_unreachable_database_is_a_503_with_retry_after(tmp_path):
    # Port 1 refuses connections at once: what a restarting PostgreSQL looks like.
    app = create_app(_config(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/civic"))
    client = app.test_client()
    resp = client.get("/api/v1/petitions")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.get_json()["error"]["code"] == "unavailable"
    page = client.get("/petitions/", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "briefly unavailable" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


@pytest.mark.parametrize("query", ["page=-96092", "page=null", "page=0", "page=99999999999999999999",
                                   "page=100001", "state=null", "sort=nonsense"])
def test_a_query_the_document_does_not_allow_is_a_422_naming_it(client, query):
    resp = client.get(f"/api/v1/petitions?{query}")
    assert resp.status_code == 422
    assert list(resp.get_json()["error"]["fields"]) == [query.split("=")[0]]


@pytest.mark.parametrize("body", [{"name": {"first": "A"}}, {"postcode": 31000}, {"attest": "yes"},
                                  {"locale": "de"}, ["not", "an", "object"]])
def test_a_body_of_the_wrong_shape_is_a_422_naming_the_field(client, body):
    resp = client.post("/api/v1/petitions/1/signatures", json=body)
    assert resp.status_code == 422
    field = next(iter(body)) if isinstance(body, dict) else "body"
    assert field in resp.get_json()["error"]["fields"]


def test_the_document_states_the_bounds_it_enforces(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    [page] = [p for p in doc["paths"]["/api/v1/petitions"]["get"]["parameters"] if p["name"] == "page"]
    assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": 100_000}
def test_an_all_digit_district_beyond_any_id_is_not_an_error(client):
    for path in ("/petitions/?district=999999999999999999999999999999",
                 "/api/v1/petitions?district=999999999999999999999999999999"):
        assert client.get(path).status_code < 500, path


def test_a_district_of_non_ascii_digits_is_unknown_not_an_error(client):
    # "²".isdigit() is True but int("²") fails: found by tests/api/test_fuzz.py.
    assert client.get("/api/v1/petitions?district=%C2%B2").status_code == 200
    assert client.get("/accountability?district=%D9%A3").status_code == 200


def test_an_id_in_a_form_beyond_any_column_is_a_clear_4xx(client, factory, login):
    login(factory.user(roles=("admin",)))
    person = factory.user()
    resp = client.post(f"/admin/users/{person.id}", data={"action": "revoke", "grant_id": "9" * 25, "reason": "r"})
    assert 400 <= resp.status_code < 500


def test_a_json_array_posted_to_a_page_form_is_a_422_not_an_error(client):
    resp = client.post("/account/login", data='["not", "an", "object"]', content_type="application/json")
    assert resp.status_code == 422
