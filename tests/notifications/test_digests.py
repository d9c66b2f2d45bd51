"""Digests: one per person per period, exactly once even when the worker
dies mid-run and the scheduler runs twice; grouped by item with the
reason; none when empty; periods at local midnight across DST changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from civic.extensions import db
from civic.notifications import jobs, services
from civic.notifications.models import DigestPeriod, Notification
from tests.helpers import count_rows


def _digests(mails, to=None):
    return [m for m in mails(to) if "news" in m.subject.lower() or "nouvelles" in m.subject.lower()
            if not m.subject.startswith("News:")]


def test_a_daily_digest_groups_by_item_and_says_why(factory, thing, follow, emit, mails, clock):
    person = factory.user()
    other = factory.district(name="Quartier des Chalets")
    follow(person, "thing", thing.id)
    follow(person, "district", other.id)
    clock.set(datetime(2026, 11, 10, 9, 0))
    emit("thing", thing.id, "answered")
    emit("thing", thing.id, "phase_changed")
    clock.set(datetime(2026, 11, 11, 0, 30))  # 01:30 in Paris: 10 November has ended
    assert jobs.send_digests() == 1
    [mail] = _digests(mails, person.email)
    assert mail.subject == "Your daily news"
    assert mail.body.count("== Des bancs place Arnaud-Bernard ==") == 1  # grouped by item
    assert "You follow this." in mail.body
    assert "An official answer was published" in mail.body and "The phase changed" in mail.body
    assert "http://civic.test/things/" in mail.body
    assert "/notifications/preferences/link/" in mail.body
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The scheduler again, the next quarter: nothing more.
    clock.advance(minutes=15)
    assert jobs.send_digests() == 0
    assert len(_digests(mails, person.email)) == 1


def test_no_digest_when_empty_or_not_chosen(factory, thing, follow, emit, mails, clock):
    idle, at_once, weekly = factory.user(), factory.user(), factory.user()
    services.set_preferences(at_once, at_once, {"answers:mail": "immediately"})
    services.set_preferences(weekly, weekly, {"answers:mail": "weekly"})
    db.session.commit()
    for p in (at_once, weekly):
        follow(p, "thing", thing.id)
    clock.set(datetime(2026, 11, 10, 9, 0))  # a Tuesday
    emit("thing", thing.id, "answered")
    clock.set(datetime(2026, 11, 11, 1, 0))
    jobs.send_digests()
    assert _digests(mails) == []
    clock.set(datetime(2026, 11, 16, 6, 0))  # the Monday after
    assert jobs.send_digests() == 1
    [mail] = _digests(mails)
    assert mail.to == weekly.email and mail.subject == "Your weekly news"
    assert count_rows(DigestPeriod, DigestPeriod.user_id == idle.id) == 0


def test_worker_killed_mid_digest_then_scheduler_twice_sends_each_one_once(factory, thing, follow, emit, mails,
                                                                          clock, monkeypatch):
    people = [factory.user() for _ in range(6)]
    for p in people:
        follow(p, "thing", thing.id)
    clock.set(datetime(2026, 11, 10, 9, 0))
    emit("thing", thing.id, "answered")
    clock.set(datetime(2026, 11, 11, 1, 0))
    monkeypatch.setattr(jobs, "DIGEST_BATCH", 2)
    real, calls = jobs._insert_marker, []

    def dying(*args):
        calls.append(args)
        if len(calls) == 4:  # half-way through the people: the worker dies
            raise SystemExit("killed")
        return real(*args)

    monkeypatch.setattr(jobs, "_insert_marker", dying)
    with pytest.raises(SystemExit):
        jobs.send_digests()
    db.session.rollback()
    assert count_rows(DigestPeriod) == 2  # the first batch committed with its mails
    monkeypatch.setattr(jobs, "_insert_marker", real)
    jobs.send_digests()
    jobs.send_digests()
    got = sorted(m.to for m in _digests(mails))
    assert got == sorted(p.email for p in people)
    assert count_rows(DigestPeriod) == 6


def test_digest_in_the_person_language(app, factory, thing, follow, emit, mails, clock):
    person = factory.user(locale="fr")
    follow(person, "thing", thing.id)
    clock.set(datetime(2026, 11, 10, 9, 0))
    emit("thing", thing.id, "answered")
    clock.set(datetime(2026, 11, 11, 1, 0))
    jobs.send_digests()
    [mail] = _digests(mails, person.email)
    assert mail.subject == "Vos nouvelles du jour"
    assert "Vous suivez ceci." in mail.body
    assert "10 novembre 2026" in mail.body


@pytest.mark.parametrize("day, hours", [(date(2026, 10, 25), 25), (date(2026, 3, 29), 23), (date(2026, 7, 1), 24)])
def test_daily_periods_start_at_local_midnight(app, day, hours):
    begin, end = jobs.period_window("daily", day)
    assert (end - begin) == timedelta(hours=hours)
    assert begin.hour in (22, 23)  # local midnight in Paris is 22:00 or 23:00 UTC


def test_periods_tile_across_dst_changes(app):
    for start in (date(2026, 10, 20), date(2026, 3, 23)):
        days = [start + timedelta(days=n) for n in range(12)]
        windows = [jobs.period_window("daily", d) for d in days]
        assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))


def test_scheduler_every_quarter_across_the_autumn_change(factory, thing, follow, emit, mails, clock):
    """Events every three hours from Friday to Wednesday around the last
    Sunday of October; the scheduler every 15 minutes: one digest per local
    day, no day skipped or doubled, each event in exactly one digest."""
    person = factory.user()
    follow(person, "thing", thing.id)
    moment, end = datetime(2026, 10, 23, 0, 0), datetime(2026, 10, 28, 0, 0)
    emitted = 0
    while moment < end:
        clock.set(moment)
        emit("thing", thing.id, "answered")
        emitted += 1
        for quarter in range(12):
            clock.set(moment + timedelta(minutes=15 * quarter))
            jobs.send_digests()
        moment += timedelta(hours=3)
    clock.set(datetime(2026, 10, 28, 23, 30))
    jobs.send_digests()
    starts = [d.period_start for d in db.session.scalars(sa.select(DigestPeriod).where(
        DigestPeriod.period == "daily").order_by(DigestPeriod.period_start))]
    # 23 October started at 22:00 UTC on the 22nd: the first events (00:00 UTC) are on the 23rd local.
    assert starts == [date(2026, 10, d) for d in range(23, 28)]  # the last event: 27th, 22:00 local
    listed = sum(m.body.count("\n- ") for m in _digests(mails, person.email))
    assert listed == emitted == count_rows(Notification)


def test_retention_deletes_old_notifications(factory, thing, follow, emit, clock):
    person = factory.user()
    follow(person, "thing", thing.id)
    clock.set(datetime(2026, 1, 1, 12, 0))
    emit("thing", thing.id, "answered")
    clock.set(datetime(2026, 3, 25, 12, 0))
    emit("thing", thing.id, "phase_changed")
    clock.set(datetime(2026, 4, 5, 12, 0))  # 94 days after the first
    assert jobs.purge_old_notifications() == 1
    assert [n.family for n in db.session.scalars(sa.select(Notification))] == ["progress"]
