"""Notifications' jobs: the fan-out of an event to its recipients, the
sweeper that fans out what a lost job did not, daily and weekly digests,
and the retention of old notifications.

Every job is idempotent: a notification is unique per (event, person) and
inserted with ON CONFLICT DO NOTHING; an immediate mail carries the dedupe
key ``notification:<event>:<user>``; a digest is queued in the same
transaction as its ``digest_period`` marker, with the dedupe key
``digest:<period>:<start>:<user>``. Running any of them twice adds nothing.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from flask_babel import gettext as _

from civic.core import jobs, people
from civic.core import time as core_time
from civic.core.events import MODULE_MAILED, Event
from civic.core.follows import Follow
from civic.core.outbox import Mail, queue_mails
from civic.core.time import local_day, start_of_day
from civic.extensions import db
from civic.notifications import labels, settings
from civic.notifications.models import DigestPeriod, Notification
from civic.notifications.services import DIGEST_TOPIC, mail_topic, preferences_for, preferences_url

log = logging.getLogger("civic.notifications")

FANOUT_BATCH = 1000
DIGEST_BATCH = 200
CATCH_UP_DAYS = 3
FOLLOWED_FAMILIES = ("answers", "progress", "new_items")  # a scheduler down for a day or two still sends every day's digest


def on_event(event: Event) -> None:
    """Event listener: fan out after the business transaction commits."""
    jobs.enqueue(fanout, event.id)


def _insert_notifications(rows: list[dict]) -> set[int]:
    """Insert, skipping (event, user) pairs already there; the users inserted."""
    if not rows:
        return set()
    table = Notification.__table__
    insert = sa.dialects.postgresql.insert if db.engine.dialect.name == "postgresql" else sa.dialects.sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=[table.c.event_id, table.c.user_id]) \
        .returning(table.c.user_id)
    return set(db.session.execute(stmt, rows).scalars())


def _deliver_batch(event: Event, recipients: list[tuple[int, str]]) -> None:
    """Notify one batch of ``(user_id, reason)`` and commit it."""
    User = people.user_model()
    ids = [uid for uid, _r in recipients if uid != event.actor_id]
    if not ids:
        return
    users = {u.id: u for u in db.session.execute(
        sa.select(User.id, User.email, User.locale).where(User.id.in_(ids), User.deleted_at.is_(None)))}
    prefs = preferences_for(users)
    now = core_time.utcnow()
    rows, reasons = [], {}
    for uid, reason in recipients:
        if uid not in users or uid in reasons:
            continue
        inbox = prefs[uid][event.family, "inbox"] != "off"
        if not inbox and prefs[uid][event.family, "mail"] == "off":
            continue
        reasons[uid] = reason
        rows.append({"event_id": event.id, "user_id": uid, "family": event.family, "reason": reason,
                     "in_inbox": inbox, "created_at": now})
    inserted = _insert_notifications(rows)
    mails = []
    module_mailed = bool((event.data or {}).get(MODULE_MAILED))
    for uid in sorted(inserted):
        if not module_mailed and prefs[uid][event.family, "mail"] == "immediately" and users[uid].email:
            mails.append(_immediate_mail(event, users[uid], reasons[uid]))
    if mails:
        queue_mails(mails)
    db.session.commit()


def _immediate_mail(event: Event, user, reason: str) -> Mail:
    return Mail(user.email, lambda e=event: _("News: %(title)s", title=e.title), "notifications/immediate",
                {"event": event, "url": _absolute(event.url), "reason": reason,
                 "preferences_url": preferences_url(user)},
                locale=user.locale, user_id=user.id, topic=mail_topic(event.family),
                dedupe_key=f"notification:{event.id}:{user.id}")


def _absolute(url: str) -> str:
    from flask import current_app

    return url if "//" in url else current_app.config["BASE_URL"].rstrip("/") + url


def fanout(event_id: int, batch: int = FANOUT_BATCH) -> int:
    """Job: notify the people concerned by an event and every follower of
    its item (and of its district, for new items), ``batch`` at a time with
    keyset pagination over the follows, each batch committed. Returns the
    number of notifications made (0 when run again)."""
    event = db.session.get(Event, event_id)
    if event is None or event.fanned_out_at is not None:
        return 0
    made = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.event_id == event_id))
    concerned = [(uid, "concerned") for uid in (event.concerned_user_ids or [])]
    for i in range(0, len(concerned), batch):
        _deliver_batch(event, concerned[i:i + batch])
    # Replies and moderation decisions concern one person, not the followers.
    targets = [(event.kind, event.object_id, "item")] if event.family in FOLLOWED_FAMILIES else []
    if event.family == "new_items" and event.district_id:
        targets.append(("district", event.district_id, "district"))
    for kind, object_id, reason in targets:
        last = 0
        while True:
            rows = db.session.execute(
                sa.select(Follow.id, Follow.user_id).where(Follow.kind == kind, Follow.object_id == object_id,
                                                           Follow.id > last)
                .order_by(Follow.id).limit(batch)).all()
            if not rows:
                break
            last = rows[-1].id
            _deliver_batch(event, [(r.user_id, reason) for r in rows])
    event.fanned_out_at = core_time.utcnow()
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.event_id == event_id)) - made


def sweep_events() -> int:
    """Periodic job: fan out events whose job was lost (Redis down, worker killed)."""
    ids = db.session.scalars(sa.select(Event.id).where(
        Event.fanned_out_at.is_(None), Event.created_at < core_time.utcnow() - timedelta(minutes=2))
        .order_by(Event.id).limit(100)).all()
    for event_id in ids:
        fanout(event_id)
    return len(ids)


# --- digests --------------------------------------------------------------------

def period_window(period: str, start: date) -> tuple[datetime, datetime]:
    """The UTC bounds of a period that starts on local day ``start``: from
    local midnight to the local midnight one day (or seven) later, so a
    digest day has 23 or 25 hours across a daylight-saving change."""
    days = 1 if period == "daily" else 7
    return start_of_day(start), start_of_day(start + timedelta(days=days))


def due_periods(now: datetime | None = None) -> list[tuple[str, date]]:
    """The ended periods whose digests are due at ``now``: the last few
    local days (so a stopped scheduler catches up) and the last week
    (Monday to Sunday)."""
    today = local_day(now or core_time.utcnow())
    daily = [("daily", today - timedelta(days=n)) for n in range(CATCH_UP_DAYS, 0, -1)]
    monday = today - timedelta(days=today.weekday())
    return daily + [("weekly", monday - timedelta(days=7))]


def send_digests(now: datetime | None = None) -> int:
    """Periodic job: queue every due digest once. Safe to run twice or
    concurrently, and after a crash: the marker and the mail commit together."""
    sent = 0
    for period, start in due_periods(now):
        sent += send_period_digests(period, start)
    return sent


def send_period_digests(period: str, start: date) -> int:
    """Queue the digests of one period, DIGEST_BATCH people at a time."""
    begin, end = period_window(period, start)
    last, sent = 0, 0
    while True:
        user_ids = db.session.scalars(
            sa.select(Notification.user_id).where(Notification.created_at >= begin, Notification.created_at < end,
                                                  Notification.user_id > last)
            .group_by(Notification.user_id).order_by(Notification.user_id).limit(DIGEST_BATCH)).all()
        if not user_ids:
            return sent
        last = user_ids[-1]
        sent += _digest_batch(period, start, begin, end, user_ids)
        db.session.commit()


def _digest_batch(period, start, begin, end, user_ids) -> int:
    done = set(db.session.scalars(sa.select(DigestPeriod.user_id).where(
        DigestPeriod.user_id.in_(user_ids), DigestPeriod.period == period, DigestPeriod.period_start == start)))
    todo = [u for u in user_ids if u not in done]
    if not todo:
        return 0
    prefs = preferences_for(todo)
    User = people.user_model()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(todo), User.deleted_at.is_(None),
                                                                         User.email.is_not(None)))}
    items: dict[int, list] = {}
    for n, e in db.session.execute(
            sa.select(Notification, Event).join(Event, Event.id == Notification.event_id)
            .where(Notification.user_id.in_(list(users)), Notification.created_at >= begin,
                   Notification.created_at < end).order_by(Notification.id)):
        if prefs[n.user_id][n.family, "mail"] == period and not (e.data or {}).get(MODULE_MAILED):
            items.setdefault(n.user_id, []).append((n, e))
    mails = []
    for uid, found in items.items():
        marker = _insert_marker(uid, period, start)
        if not marker:
            continue  # another run took this one
        user = users[uid]
        mails.append(Mail(user.email, _digest_subject(period), "notifications/digest",
                          {"groups": _group(found), "period": period, "start": start,
                           "preferences_url": preferences_url(user), "absolute": _absolute,
                           "reason_label": labels.reason_label, "event_label": labels.event_label},
                          locale=user.locale, user_id=uid, topic=DIGEST_TOPIC,
                          dedupe_key=f"digest:{period}:{start.isoformat()}:{uid}"))
    if mails:
        queue_mails(mails)
    return len(mails)


def _digest_subject(period):
    if period == "daily":
        return lambda: _("Your daily news")
    return lambda: _("Your weekly news")


def _insert_marker(user_id: int, period: str, start: date) -> bool:
    table = DigestPeriod.__table__
    insert = sa.dialects.postgresql.insert if db.engine.dialect.name == "postgresql" else sa.dialects.sqlite.insert
    stmt = insert(table).values(user_id=user_id, period=period, period_start=start, created_at=core_time.utcnow()) \
        .on_conflict_do_nothing(index_elements=[table.c.user_id, table.c.period, table.c.period_start]) \
        .returning(table.c.id)
    # RETURNING rather than rowcount, which the PostgreSQL driver does not give for this statement.
    return db.session.execute(stmt).scalar() is not None


def _group(found) -> list[dict]:
    """Notifications grouped by item, in the order they came."""
    groups: OrderedDict = OrderedDict()
    for n, e in found:
        group = groups.setdefault((e.kind, e.object_id), {"title": e.title, "url": e.url, "reason": n.reason,
                                                          "events": []})
        if n.reason == "item":
            group["reason"] = "item"  # followed directly: the strongest reason
        group["events"].append(e)
    return list(groups.values())


# --- retention --------------------------------------------------------------------

def purge_old_notifications(batch: int = 5000) -> int:
    """Periodic job: delete notifications (read or not) and fanned-out events
    older than the retention setting, a batch at a time; digest markers go
    with them."""
    cutoff = core_time.utcnow() - timedelta(days=settings.retention_days())
    deleted = 0
    while True:
        ids = db.session.scalars(sa.select(Notification.id).where(Notification.created_at < cutoff)
                                 .limit(batch)).all()
        if not ids:
            break
        db.session.execute(sa.delete(Notification).where(Notification.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
    old_events = sa.select(Event.id).where(Event.created_at < cutoff, Event.fanned_out_at.is_not(None))
    db.session.execute(sa.delete(Notification).where(Notification.event_id.in_(old_events)))
    db.session.execute(sa.delete(Event).where(Event.id.in_(old_events)))
    db.session.execute(sa.delete(DigestPeriod).where(DigestPeriod.created_at < cutoff))
    return deleted
