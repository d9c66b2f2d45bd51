"""Preferences: defaults, the page, the signed link of every mail (logged
out), and one-click unsubscribe (RFC 8058) turning a family's mail off."""

from __future__ import annotations

import time

import sqlalchemy as sa
from itsdangerous.timed import TimestampSigner

from civic.core import follows
from civic.core.models import MailOptOut
from civic.extensions import db
from civic.notifications import services
from civic.notifications.models import NotificationPreference
from tests.helpers import count_rows


def test_defaults_are_digests_except_moderation(factory):
    prefs = services.preferences(factory.user())
    assert prefs["answers", "mail"] == "daily"
    assert prefs["progress", "inbox"] == "immediately"
    assert prefs["moderation", "mail"] == "immediately"


def test_preferences_page_saves_and_refuses_bad_values(factory, client, login):
    person = factory.user()
    login(person)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200 and "Official answers" in page.get_data(as_text=True)
    resp = client.post("/notifications/preferences", data={"answers:mail": "weekly", "progress:inbox": "off",
                                                           "auto_follow": "1"})
    assert resp.status_code == 302
    prefs = services.preferences(person)
    assert prefs["answers", "mail"] == "weekly" and prefs["progress", "inbox"] == "off"
    bad = client.post("/notifications/preferences", data={"answers:mail": "hourly", "auto_follow": "1"})
    assert bad.status_code == 422
    assert "Choose one of the options." in bad.get_data(as_text=True)
    assert services.preferences(person)["answers", "mail"] == "weekly"
    # Unticking the box turns auto-follow off.
    client.post("/notifications/preferences", data={"answers:mail": "weekly"})
    assert not follows.auto_follow_enabled(person)


def test_back_to_the_default_stores_nothing(factory):
    person = factory.user()
    services.set_preferences(person, person, {"answers:mail": "off"})
    services.set_preferences(person, person, {"answers:mail": "daily"})
    db.session.commit()
    assert count_rows(NotificationPreference, NotificationPreference.user_id == person.id) == 0


def test_signed_link_works_logged_out(factory, client):
    person = factory.user()
    url = services.preferences_url(person).replace("http://civic.test", "")
    page = client.get(url)
    assert page.status_code == 200 and "Notification preferences" in page.get_data(as_text=True)
    resp = client.post(url, data={"replies:mail": "off", "auto_follow": "1"})
    assert resp.status_code == 302
    assert services.preferences(person)["replies", "mail"] == "off"


def test_forged_and_expired_links_say_so(factory, client, monkeypatch):
    person = factory.user()
    token = services.preferences_token(person)
    bad = client.get(f"/notifications/preferences/link/{token[:-3]}xyz")
    assert bad.status_code == 400 and "not valid" in bad.get_data(as_text=True)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 61 * 86400)
    old = services.preferences_token(person)
    monkeypatch.undo()
    expired = client.get(f"/notifications/preferences/link/{old}")
    assert expired.status_code == 403 and "more than 60 days old" in expired.get_data(as_text=True)
    # A token of another purpose (the unsubscribe links) is no preferences link.
    from civic.core.outbox import unsubscribe_token

    assert client.get(f"/notifications/preferences/link/{unsubscribe_token(person.email, 'x')}").status_code == 400


def test_one_click_unsubscribe_turns_the_family_mail_off(factory, thing, follow, emit, mails, client):
    person = factory.user()
    services.set_preferences(person, person, {"answers:mail": "immediately"})
    db.session.commit()
    follow(person, "thing", thing.id)
    emit("thing", thing.id, "answered")
    [mail] = [m for m in mails(person.email) if m.subject.startswith("News:")]
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/preferences/link/" in mail.body
    unsubscribe = mail.headers["List-Unsubscribe"].strip("<>").replace("http://civic.test", "")
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert services.preferences(person)["answers", "mail"] == "off"
    # Turning it on again lifts the opt-out.
    services.set_preferences(person, person, {"answers:mail": "immediately"})
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailOptOut)) == 0


def test_immediate_mail_only_when_chosen(factory, thing, follow, emit, mails):
    quiet, eager = factory.user(), factory.user()
    services.set_preferences(eager, eager, {"answers:mail": "immediately"})
    db.session.commit()
    follow(quiet, "thing", thing.id)
    follow(eager, "thing", thing.id)
    emit("thing", thing.id, "answered")
    assert [m.to for m in mails() if m.subject.startswith("News:")] == [eager.email]


def test_inbox_off_keeps_it_out_of_the_inbox(factory, thing, follow, emit, client, login):
    person = factory.user()
    services.set_preferences(person, person, {"answers:inbox": "off"})
    db.session.commit()
    follow(person, "thing", thing.id)
    emit("thing", thing.id, "answered")
    login(person)
    assert "An official answer was published" not in client.get("/notifications").get_data(as_text=True)
