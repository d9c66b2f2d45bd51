"""The accountability page aggregates every kind's owed answers through the
content registry: on time, late by N days, pending, overdue; by district."""

from datetime import date, datetime, timedelta

import pytest

from civic.consultations import services as consultations
from civic.core import content
from civic.core.time import start_of_day, utcnow
from civic.extensions import db
from tests.consultations.conftest import close_now
from tests.helpers import count_queries


class FakeItem:
    """Stands for another module's item: the registry only needs the hook."""


@pytest.fixture
def fake_kind():
    """Register a kind whose ``owed_answers`` returns what the test puts in the list."""
    items: list[dict] = []
    content.register_kind(content.ContentKind(
        name="fakepetition", model=FakeItem, label=lambda: "Fake petition", title=lambda o: "", url=lambda o: "",
        hooks={"owed_answers": lambda: list(items)}))
    yield items
    content._KINDS.pop("fakepetition", None)


def _item(n, *, due_in_days, answered_after_due_days=None, district_id=None):
    due = utcnow() + timedelta(days=due_in_days)
    answered = None if answered_after_due_days is None else due + timedelta(days=answered_after_due_days)
    return {"kind": "fakepetition", "id": n, "title": f"Pétition {n}", "url": f"/petitions/{n}",
            "district_id": district_id, "owed_since": due - timedelta(days=30), "due_at": due,
            "answered_at": answered}


def test_page_shows_on_time_late_pending_and_overdue_items_with_days(client, fake_kind):
    fake_kind += [
        _item(1, due_in_days=-20, answered_after_due_days=-2),          # on time
        _item(2, due_in_days=-20, answered_after_due_days=3),           # late by 3 days
        _item(3, due_in_days=5),                                        # pending
        _item(4, due_in_days=-2, answered_after_due_days=None),         # overdue by 2 days
        _item(5, due_in_days=-10),                                      # overdue by 10 days
    ]
    html = client.get("/accountability").get_data(as_text=True)
    assert "Answered on time" in html and "Answered 3 days late" in html
    assert "Overdue by 2 days" in html and "Overdue by 10 days" in html and "Pending" in html
    # Overdue first (longest first), then pending, then answered (most recent answer first).
    order = [html.index(f"Pétition {n}<") for n in (5, 4, 3, 2, 1)]
    assert order == sorted(order)
    data = client.get("/api/v1/accountability").get_json()
    states = {i["id"]: (i["state"], i["late_days"]) for i in data["items"]}
    assert states == {1: ("on_time", 0), 2: ("late", 3), 3: ("pending", 0), 4: ("overdue", 2), 5: ("overdue", 10)}
    assert data["summary"]["on_time"] == 1 and data["summary"]["late"] == 1 and data["summary"]["overdue"] == 2
    assert data["summary"]["on_time_percent"] == 50
    overdue = client.get("/api/v1/accountability?state=overdue").get_json()
    assert [i["id"] for i in overdue["items"]] == [5, 4]


def test_district_filter_and_consultations_come_from_the_registry(client, factory, fake_kind, make_consultation,
                                                                  official, run_jobs):
    t06, t17 = factory.district(code="T06", name="Saint-Cyprien"), factory.district(code="T17", name="Mirail")
    fake_kind += [_item(1, due_in_days=-3, district_id=t06.id), _item(2, due_in_days=-3, district_id=t17.id)]
    open_c = make_consultation(title="Encore ouverte", district_id=t06.id)
    closed = make_consultation(title="Berges fermées", district_id=t06.id)
    close_now(closed, official)
    run_jobs()
    html = client.get("/accountability?district=T06").get_data(as_text=True)
    assert "Pétition 1<" in html and "Pétition 2<" not in html
    assert "Berges fermées" in html and "Encore ouverte" not in html  # only closed consultations owe an answer
    data = client.get(f"/api/v1/accountability?district={t17.code}").get_json()
    assert [(i["kind"], i["id"]) for i in data["items"]] == [("fakepetition", 2)]
    assert client.get("/api/v1/accountability?district=XX").status_code == 422
    # The closed consultation is pending until its follow-up is published.
    [item] = [i for i in client.get("/api/v1/accountability?kind=consultation").get_json()["items"]]
    assert item["id"] == closed.id and item["state"] == "pending" and item["district"] == "T06"
    assert open_c.id != closed.id


def test_consultation_follow_up_published_after_its_date_shows_late(client, make_consultation, official, run_jobs):
    c = make_consultation()
    close_now(c, official)
    run_jobs()
    c = db.session.get(type(c), c.id)
    c.followup_published_at = c.results_due_at + timedelta(days=4, hours=2)
    db.session.commit()
    html = client.get("/accountability").get_data(as_text=True)
    assert "Answered 5 days late" in html
    assert consultations.late_days(consultations.due_instant(c), c.followup_published_at) == 5


def test_page_paginates_with_a_constant_number_of_queries(client, fake_kind):
    def count(url):
        resp, n = count_queries(lambda: client.get(url))
        assert resp.status_code == 200
        return n

    fake_kind += [_item(1, due_in_days=1)]
    few = count("/accountability")
    fake_kind += [_item(n, due_in_days=n) for n in range(2, 80)]
    assert count("/accountability") == few
    page2 = client.get("/accountability?page=2").get_data(as_text=True)
    assert "Pétition 31<" in page2 and "Pétition 30<" not in page2
    assert client.get("/api/v1/accountability").get_json()["has_next"] is False


@pytest.mark.parametrize("page", ["0", "abc", "-1", "100001"])
def test_a_page_number_out_of_range_is_refused_with_the_field_named(client, fake_kind, page):
    fake_kind += [_item(1, due_in_days=1)]
    assert client.get(f"/accountability?page={page}").status_code == 422
    resp = client.get(f"/api/v1/accountability?page={page}")
    assert resp.status_code == 422 and "page" in resp.get_json()["error"]["fields"]


def test_dates_are_shown_on_their_local_day_across_the_october_clock_change(client, fake_kind):
    # Paris leaves summer time on 25 October 2026 at 03:00 (01:00 UTC). A due
    # date at local midnight is the evening before in UTC, two hours before
    # the change and one hour after it: the page must say 25 and 26 October.
    before, after = start_of_day(date(2026, 10, 25)), start_of_day(date(2026, 10, 26))
    assert (before, after) == (datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23))
    fake_kind += [dict(_item(1, due_in_days=1), owed_since=before, due_at=before),
                  dict(_item(2, due_in_days=1), owed_since=after, due_at=after)]
    html = client.get("/accountability").get_data(as_text=True)
    assert "October 25, 2026" in html and "October 26, 2026" in html
    assert "October 24, 2026" not in html
    data = client.get("/api/v1/accountability").get_json()
    assert {i["due_at"] for i in data["items"]} == {"2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"}
