"""Public data: list, detail, results (JSON and CSV); no personal data."""

from civic.api import undocumented_routes
from civic.consultations import services
from civic.extensions import db
from tests.consultations import factories
from tests.consultations.factories import close, form_for
from tests.helpers import count_queries


def test_api_lists_details_and_results_without_personal_data(client, factory, official, make_consultation, run_jobs):
    c = make_consultation()
    services.answer_consultation(factory.user(email="secret.person@example.org", name="Secret Person"), c,
                                 form_for(c, text="idée"))
    db.session.commit()
    items = client.get("/api/v1/consultations").get_json()["items"]
    assert items[0]["id"] == c.id and items[0]["responses"] == 1 and items[0]["status"] == "open"
    detail = client.get(f"/api/v1/consultations/{c.id}").get_json()
    assert [q["kind"] for q in detail["questions"]] == ["single", "multiple", "ranking", "scale", "text"]
    assert detail["results_url"] is None
    assert client.get(f"/api/v1/consultations/{c.id}/results").status_code == 404
    close(c, official)
    run_jobs()
    results = client.get(f"/api/v1/consultations/{c.id}/results")
    assert results.status_code == 200 and results.get_json()["total"] == 1
    csv_resp = client.get(f"/api/v1/consultations/{c.id}/results.csv")
    assert csv_resp.mimetype == "text/csv"
    assert "question_id,question,kind,district,option,measure,value" in csv_resp.get_data(as_text=True)
    for url in ("/api/v1/consultations", f"/api/v1/consultations/{c.id}", f"/api/v1/consultations/{c.id}/results"):
        body = client.get(url).get_data(as_text=True)
        assert "secret.person" not in body and "Secret Person" not in body and "elu@example.org" not in body


def test_api_routes_are_documented(app, client):
    assert not [r for r in undocumented_routes(app) if "consultation" in r or "accountability" in r]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/consultations/{consultation_id}/results" in paths


def test_lists_run_a_constant_number_of_queries(client, make_consultation, factory):
    c = make_consultation()
    factories.answer(c)
    small_html = count_queries(lambda: client.get("/consultations"))[1]
    small_api = count_queries(lambda: client.get("/api/v1/consultations"))[1]
    for _ in range(6):
        make_consultation()
    assert count_queries(lambda: client.get("/consultations"))[1] == small_html
    assert count_queries(lambda: client.get("/api/v1/consultations"))[1] == small_api
