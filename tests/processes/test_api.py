"""The public JSON API of processes and proposals."""

import json

from civic.extensions import db
from civic.processes import services


def test_processes_list_and_detail(client, make_process, make_proposal):
    process = make_process(threshold_type="count", threshold_value=10)
    data = client.get("/api/v1/processes").get_json()
    [item] = data["items"]
    assert item["title"] == "Plan vélo 2027" and item["current_phase"]["code"] == "proposals"
    detail = client.get(f"/api/v1/processes/{process.id}").get_json()
    assert [p["code"] for p in detail["phases"]] == ["information", "proposals", "results"]
    assert detail["rules"]["threshold_value"] == 10
    assert client.get("/api/v1/processes?archive=true").get_json()["items"] == []


def test_proposals_filtered_with_answer_history_and_no_personal_data(client, factory, make_process, make_proposal):
    process = make_process()
    p = make_proposal(process, author=factory.user(email="secret@example.org", name="Léa M."))
    other = make_proposal(process, title="Une autre proposition ici")
    supporter = factory.user(email="supporter@example.org")
    services.support_proposal(supporter, p)
    services.answer_proposal(factory.user(roles=["official"]), p, "accepted",
                             "Retenue : les travaux commencent en mars.")
    db.session.commit()
    resp = client.get(f"/api/v1/proposals?process={process.id}&state=accepted")
    assert "@" not in resp.get_data(as_text=True)
    [item] = resp.get_json()["items"]
    assert item["id"] == p.id and item["support_count"] == 1 and item["author"] == "Léa M."
    assert item["official_answer"]["decision"] == "accepted"
    detail = client.get(f"/api/v1/proposals/{p.id}")
    assert "@" not in detail.get_data(as_text=True)
    assert [h["event"] for h in detail.get_json()["history"]] == ["published", "accepted"]
    assert other.id in [i["id"] for i in client.get("/api/v1/proposals?order=supports").get_json()["items"]]


def test_api_errors_are_json(client, make_process):
    make_process()
    resp = client.get("/api/v1/proposals?state=nonsense")
    assert resp.status_code == 422 and list(resp.get_json()["error"]["fields"]) == ["state"]
    resp = client.get("/api/v1/proposals/999")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_routes_are_in_the_openapi_document(client):
    doc = json.loads(client.get("/api/v1/openapi.json").get_data())
    for path in ("/api/v1/processes", "/api/v1/processes/{process_id}", "/api/v1/proposals",
                 "/api/v1/proposals/{proposal_id}"):
        assert "get" in doc["paths"][path]
