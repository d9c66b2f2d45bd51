"""« What I follow »: the list, its unfollow buttons (plain forms), districts."""

from __future__ import annotations

from civic.core import follows
from civic.core.follows import Follow
from tests.helpers import count_rows


def test_what_i_follow_lists_and_unfollows(factory, thing, follow, client, login):
    person = factory.user()
    follow(person, "thing", thing.id)
    login(person)
    page = client.get("/following").get_data(as_text=True)
    assert "Des bancs place Arnaud-Bernard" in page and "Stop following" in page
    resp = client.post(f"/follow/thing/{thing.id}", data={"action": "unfollow", "next": "/following"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/following")
    assert count_rows(Follow, Follow.user_id == person.id) == 0
    assert "You follow nothing yet." in client.get("/following").get_data(as_text=True)


def test_what_i_follow_is_paginated(factory, client, login):
    person = factory.user()
    districts = [factory.district(name=f"Quartier {i:02d}") for i in range(30)]
    for d in districts:
        follows.follow(person, "district", d.id)
    from civic.extensions import db

    db.session.commit()
    login(person)
    first = client.get("/following").get_data(as_text=True)
    assert "Quartier 29" in first and "Quartier 00" not in first.split('id="follow-district"')[0]
    assert "Next page" in first
    second = client.get("/following?page=2").get_data(as_text=True)
    assert "Quartier 00" in second.split('id="follow-district"')[0]


def test_follow_a_district_from_the_page(factory, client, login):
    person = factory.user()
    district = factory.district(name="Mirail")
    login(person)
    resp = client.post("/following/district", data={"district_id": str(district.id)})
    assert resp.status_code == 302
    assert follows.is_following(person, "district", district.id)
    assert client.post("/following/district", data={"district_id": "x"}).status_code == 422
    assert client.post("/following/district", data={"district_id": "999999"}).status_code == 404


def test_a_kind_that_is_not_followable_cannot_be_followed(factory, client, login):
    from tests.deliberation import factories as deliberation_factories

    person = factory.user()
    debate = deliberation_factories.debate()
    comment = deliberation_factories.comment(person, debate, "Un avis.", "for")
    login(person)
    assert client.post(f"/follow/comment/{comment.id}").status_code == 404


def test_item_pages_show_stop_following(factory, client, login):
    from tests.deliberation import factories as deliberation_factories

    official = factory.user(roles=["official"])
    debate = deliberation_factories.debate(official)
    login(official)  # the author follows what they open
    page = client.get(f"/debates/{debate.id}").get_data(as_text=True)
    assert "Stop following" in page
