"""Budget open data API: documented, paginated, no personal data."""

from civic.api import undocumented_routes


def test_budget_routes_are_documented_in_openapi(app, client):
    assert not [r for r in undocumented_routes(app) if "budgets" in r]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/budgets", "/api/v1/budgets/{edition_id}", "/api/v1/budgets/{edition_id}/projects",
                 "/api/v1/budgets/{edition_id}/results", "/api/v1/budgets/{edition_id}/pabulib"):
        assert path in paths


def test_edition_and_projects_without_personal_data(client, budget):
    b = budget.make("knapsack", envelopes=(("N", 60_000), (None, 40_000)),
                    projects=(("Bancs", 30_000, 0), ("Arbres", 20_000, 1)))
    data = client.get("/api/v1/budgets").get_json()
    assert [e["id"] for e in data["items"]] == [b.edition.id] and data["has_next"] is False
    one = client.get(f"/api/v1/budgets/{b.edition.id}").get_json()
    assert one["vote_rule"] == "knapsack" and one["phase"] == "voting" and one["rules"]["frozen"] is True
    assert [e["district"] for e in one["envelopes"]] == ["N", None]
    assert [t["ballots"] for t in one["turnout"]] == [0, 0]
    items = client.get(f"/api/v1/budgets/{b.edition.id}/projects?envelope={b.envelopes[1].id}").get_json()["items"]
    assert [i["title"] for i in items] == ["Arbres"]
    assert "author_id" not in items[0] and "email" not in str(items[0])
    assert client.get("/api/v1/budgets/999").get_json()["error"]["code"] == "not_found"
    resp = client.get(f"/api/v1/budgets/{b.edition.id}/projects?page=x")
    assert resp.status_code == 422 and "page" in resp.get_json()["error"]["fields"]


def test_a_page_number_out_of_range_is_refused_in_pages_and_the_api(client, budget):
    b = budget.make("approval")
    for url in ("/budgets/?page=0", f"/budgets/{b.edition.id}/projects?page=x", "/api/v1/budgets?page=100001",
                f"/api/v1/budgets/{b.edition.id}/projects?page=-1"):
        assert client.get(url).status_code == 422, url
    assert "page" in client.get("/api/v1/budgets?page=0").get_json()["error"]["fields"]
    assert client.get("/budgets/?page=2").status_code == 200
    assert client.get("/api/v1/budgets?page=1").get_json()["items"]
