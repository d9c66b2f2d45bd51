"""« My data »: follows, notifications and preferences are exported, and go
with the account."""

from __future__ import annotations

from civic.accounts import services as accounts
from civic.core.follows import AutoFollowOff, Follow
from civic.extensions import db
from civic.notifications import services
from civic.notifications.models import Notification, NotificationPreference
from tests.factories import PASSWORD
from tests.helpers import count_rows


def test_exported_and_erased_with_the_account(app, factory, thing, follow, emit):
    person = factory.user()
    follow(person, "thing", thing.id)
    services.set_preferences(person, person, {"answers:mail": "weekly"}, auto_follow=False)
    db.session.commit()
    emit("thing", thing.id, "answered")
    with app.test_request_context("/"):
        data = accounts.export_personal_data(person)["notifications"]
    assert data["follows"] == [{"kind": "thing", "object_id": thing.id, "since": data["follows"][0]["since"]}]
    assert data["follow_automatically"] is False
    assert {"family": "answers", "channel": "mail", "frequency": "weekly"} in data["preferences"]
    assert [n["title"] for n in data["notifications"]] == ["Des bancs place Arnaud-Bernard"]

    with app.test_request_context("/"):
        accounts.delete_account(person, PASSWORD)
    db.session.commit()
    for model in (Follow, Notification, NotificationPreference, AutoFollowOff):
        assert count_rows(model, model.user_id == person.id) == 0


def test_my_data_page_shows_them(factory, thing, follow, emit, client, login):
    person = factory.user()
    follow(person, "thing", thing.id)
    emit("thing", thing.id, "answered")
    login(person)
    page = client.get("/account/my-data").get_data(as_text=True)
    assert "What you follow" in page and "Des bancs place Arnaud-Bernard" in page
