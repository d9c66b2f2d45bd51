"""Public JSON: debates and comment threads, without personal data."""

import json

from civic.core import content
from civic.deliberation import services
from civic.extensions import db
from tests.deliberation.factories import thread
from tests.helpers import count_queries


def test_debates_list_and_detail_with_counts_and_conclusion(client, official, factory, make_debate, say):
    district = factory.district(code="T06", name="Saint-Cyprien")
    open_one = make_debate(title="Débat ouvert", district_id=district.id)
    closed = make_debate(title="Débat clos", body="**Cadre**", sources="Étude | https://example.org/e")
    say(factory.user(), closed, "Pour", "for")
    say(factory.user(), closed, "Contre", "against")
    say(factory.user(), closed, "Contre aussi", "against")
    services.close_debate(official, closed, "Ce que nous retenons.")
    db.session.commit()

    data = client.get("/api/v1/debates").get_json()
    assert [d["title"] for d in data["items"]] == ["Débat clos", "Débat ouvert"]
    assert data["items"][1]["district"] == {"code": "T06", "name": "Saint-Cyprien"}
    assert client.get("/api/v1/debates?state=open").get_json()["items"][0]["id"] == open_one.id
    assert [d["id"] for d in client.get("/api/v1/debates?district=T06").get_json()["items"]] == [open_one.id]
    assert client.get("/api/v1/debates?district=NOPE").status_code == 404

    detail = client.get(f"/api/v1/debates/{closed.id}").get_json()
    assert detail["counts"] == {"for": 1, "against": 2, "neutral": 0}
    assert detail["state"] == "closed" and "Ce que nous retenons." in detail["conclusion_html"]
    assert detail["framing_html"] == "<p><strong>Cadre</strong></p>"
    assert detail["sources"] == [{"title": "Étude", "url": "https://example.org/e"}]


def test_comment_threads_show_names_only_and_placeholders_for_hidden_ones(client, factory, make_debate, say):
    debate = make_debate()
    author = factory.user(email="secret@example.org", name="Léa")
    thread(debate, author, [factory.user(name="Karim")], "Argument **fort**", "for")
    hidden = say(factory.user(), debate, "Propos injurieux", "against")
    content.hook("comment", "set_hidden")(hidden, True)
    db.session.commit()

    resp = client.get(f"/api/v1/debate/{debate.id}/comments")
    data = resp.get_json()
    assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
    assert data["total"] == 2 and data["hidden_count"] == 1 and data["open"] is True
    first = data["items"][0]
    assert first["author"] == {"name": "Léa", "badge": None}
    assert first["alignment"] == "for" and first["body_html"] == "<p>Argument <strong>fort</strong></p>"
    assert first["replies"][0]["author"]["name"] == "Karim"
    placeholder = next(i for i in data["items"] if i["id"] == hidden.id)
    assert placeholder["state"] == "hidden" and placeholder["body_html"] is None and placeholder["author"] is None
    body = json.dumps(data)
    assert "secret@example.org" not in body and "Propos injurieux" not in body and "user_id" not in body
    # The plural works too, and orders are validated.
    assert client.get(f"/api/v1/debates/{debate.id}/comments?order=newest").get_json()["order"] == "newest"
    bad = client.get(f"/api/v1/debate/{debate.id}/comments?order=loudest")
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["order"]


def test_comments_of_another_kind_and_unknown_kinds(client, factory, thing, say):
    say(factory.user(), thing, "Sur une pétition", kind="thing")
    assert client.get(f"/api/v1/things/{thing.id}/comments").get_json()["total"] == 1
    assert client.get("/api/v1/unknown/1/comments").status_code == 404
    assert client.get(f"/api/v1/thing/{thing.id + 99}/comments").get_json()["error"]["code"] == "not_found"


def test_hidden_debates_are_not_in_the_api(client, make_debate):
    d = make_debate()
    content.hook("debate", "set_hidden")(d, True)
    db.session.commit()
    assert client.get("/api/v1/debates").get_json()["items"] == []
    assert client.get(f"/api/v1/debates/{d.id}").status_code == 404
    assert client.get(f"/api/v1/debate/{d.id}/comments").status_code == 404


def test_the_routes_are_in_the_openapi_document(client, app):
    from civic.api import undocumented_routes

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/debates" in paths and "/api/v1/debates/{debate_id}" in paths
    comments = paths["/api/v1/{kind}/{object_id}/comments"]["get"]
    assert {p["name"] for p in comments["parameters"]} >= {"kind", "object_id", "order", "page"}
    assert not [r for r in undocumented_routes(app) if "debate" in r or "comments" in r]


def test_the_comments_api_runs_a_constant_number_of_queries(client, factory, make_debate, say, rate):
    debate = make_debate()
    people = [factory.user() for _ in range(3)]

    def add(n):
        for i in range(n):
            top = say(people[i % 3], debate, "Argument", "for")
            say(people[(i + 1) % 3], debate, "Réponse", parent=top)
            rate(people[(i + 2) % 3], top, "useful")

    add(2)
    _, few = count_queries(lambda: client.get(f"/api/v1/debate/{debate.id}/comments"))
    add(12)
    resp, many = count_queries(lambda: client.get(f"/api/v1/debate/{debate.id}/comments"))
    assert len(resp.get_json()["items"]) == 14 and few == many


def test_a_page_out_of_range_is_a_422_naming_the_field(client, make_debate):
    debate = make_debate()
    for url in ("/api/v1/debates?page=0", "/api/v1/debates?page=abc",
                f"/api/v1/debate/{debate.id}/comments?page=100001"):
        resp = client.get(url)
        assert resp.status_code == 422, url
        assert set(resp.get_json()["error"]["fields"]) == {"page"}
    assert client.get("/api/v1/debates?page=3").get_json()["items"] == []


def test_moments_are_iso_with_z_and_missing_ones_null(client, make_debate):
    debate = make_debate()
    detail = client.get(f"/api/v1/debates/{debate.id}").get_json()
    assert detail["created_at"].endswith("Z") and detail["closed_at"] is None and detail["ends_at"] is None
