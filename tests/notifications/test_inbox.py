"""Follow, an event, the fan-out job, the inbox: what followers see."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core import events, follows
from civic.core.follows import Follow
from civic.extensions import db
from civic.notifications import jobs
from civic.notifications.models import Notification
from tests.helpers import count_rows


def test_an_event_reaches_followers_only_and_not_the_actor(factory, thing, follow, emit, client, login):
    official = factory.user(roles=["official"])
    fan, other, stranger = factory.user(), factory.user(), factory.user()
    for person in (fan, other, official):
        follow(person, "thing", thing.id)
    emit("thing", thing.id, "answered", actor_id=official.id)

    assert {n.user_id for n in db.session.scalars(sa.select(Notification))} == {fan.id, other.id}
    login(fan)
    page = client.get("/notifications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "An official answer was published" in text
    assert f'href="/things/{thing.id}"' in text
    assert "You follow this." in text
    assert "Notifications (1)" in text  # the header, plain text
    client.post("/account/logout")
    login(stranger)
    assert "An official answer was published" not in client.get("/notifications").get_data(as_text=True)


def test_fanout_run_again_adds_nothing(factory, thing, follow, emit):
    people = [factory.user() for _ in range(5)]
    for person in people:
        follow(person, "thing", thing.id)
    event = emit("thing", thing.id, "answered")
    assert count_rows(Notification) == 5
    event_row = db.session.get(events.Event, event.id)
    event_row.fanned_out_at = None  # as if the job died before marking the event
    db.session.commit()
    assert jobs.fanout(event.id, batch=2) == 0
    assert count_rows(Notification) == 5


def test_fanout_in_small_batches_reaches_everyone(factory, thing, follow, emit, monkeypatch):
    monkeypatch.setattr(jobs, "FANOUT_BATCH", 2)
    people = [factory.user() for _ in range(7)]
    for person in people:
        follow(person, "thing", thing.id)
    emit("thing", thing.id, "answered")
    assert count_rows(Notification) == 7


def test_an_event_is_emitted_with_its_transaction_only(factory, thing):
    events.emit("thing", thing.id, "answered")
    db.session.rollback()
    assert count_rows(events.Event) == 0


def test_an_undeclared_event_type_is_refused(thing):
    import pytest

    with pytest.raises(ValueError):
        events.emit("thing", thing.id, "exploded")


def test_mark_one_and_all_read(factory, thing, follow, emit, client, login):
    fan = factory.user()
    follow(fan, "thing", thing.id)
    emit("thing", thing.id, "answered")
    emit("thing", thing.id, "phase_changed")
    login(fan)
    assert "Notifications (2)" in client.get("/notifications").get_data(as_text=True)
    first = db.session.scalars(sa.select(Notification).order_by(Notification.id)).first()
    resp = client.post(f"/notifications/{first.id}/read", data={"next": "/notifications"})
    assert resp.status_code == 302
    assert "Notifications (1)" in client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read-all")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Nothing unread." in page and "Notifications (" not in page


def test_someone_elses_notification_is_404(factory, thing, follow, emit, client, login):
    fan, intruder = factory.user(), factory.user()
    follow(fan, "thing", thing.id)
    emit("thing", thing.id, "answered")
    notification = db.session.scalars(sa.select(Notification)).one()
    login(intruder)
    assert client.post(f"/notifications/{notification.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).read_at is None


def test_inbox_needs_login_and_rejects_a_bad_page(factory, client, login):
    assert client.get("/notifications").status_code == 302
    login(factory.user())
    assert client.get("/notifications?page=abc").status_code == 422


def test_a_district_follower_hears_of_a_new_debate(factory, client, login, run_jobs):
    from tests.deliberation import factories as deliberation_factories

    district = factory.district()
    neighbour, elsewhere = factory.user(), factory.user()
    follows.follow(neighbour, "district", district.id)
    db.session.commit()
    official = factory.user(roles=["official"])
    debate = deliberation_factories.debate(official, title="Piétonniser la rue des Lois ?", district_id=district.id)
    run_jobs()
    assert count_rows(Notification, Notification.user_id == neighbour.id) == 1
    assert count_rows(Notification, Notification.user_id == elsewhere.id) == 0
    assert count_rows(Notification, Notification.user_id == official.id) == 0
    # The author follows what they created.
    assert follows.is_following(official, "debate", debate.id)
    login(neighbour)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Piétonniser la rue des Lois ?" in page and "You follow this district." in page


def test_a_reply_reaches_the_comment_author_in_the_inbox_only(factory, mails, run_jobs):
    from civic.core.events import Event
    from tests.deliberation import factories as deliberation_factories

    author, replier = factory.user(), factory.user()
    debate = deliberation_factories.debate()
    top = deliberation_factories.comment(author, debate, "Oui, mais le samedi seulement.", "for")
    deliberation_factories.comment(replier, debate, "Pourquoi le samedi ?", parent=top)
    run_jobs()
    event = db.session.scalars(sa.select(Event).where(Event.event_type == "comment_reply")).one()
    rows = db.session.scalars(sa.select(Notification).where(Notification.event_id == event.id)).all()
    assert [(n.user_id, n.reason) for n in rows] == [(author.id, "concerned")]
    # Deliberation mails its own reply digest: no second mail from the notifications.
    assert not [m for m in mails(author.email) if m.subject.startswith("News:")]
    # Commenting follows the debate.
    assert follows.is_following(replier, "debate", debate.id)


def test_auto_follow_off_is_honoured(factory):
    from tests.deliberation import factories as deliberation_factories

    person = factory.user()
    follows.set_auto_follow(person, False)
    db.session.commit()
    debate = deliberation_factories.debate()
    deliberation_factories.comment(person, debate, "Un avis.", "for")
    assert not follows.is_following(person, "debate", debate.id)


def test_deleted_accounts_get_nothing(factory, thing, follow, emit):
    from civic.core.time import utcnow

    gone = factory.user()
    follow(gone, "thing", thing.id)
    gone.deleted_at = utcnow()
    db.session.commit()
    emit("thing", thing.id, "answered")
    assert count_rows(Notification) == 0


def test_follow_rows_unique(factory, thing, follow):
    person = factory.user()
    follow(person, "thing", thing.id)
    follow(person, "thing", thing.id)
    follows.auto_follow(person, "thing", thing.id)
    db.session.commit()
    assert count_rows(Follow, Follow.user_id == person.id) == 1
