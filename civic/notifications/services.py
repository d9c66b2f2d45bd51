"""Notifications' services: preferences (with their defaults and the signed
link of every mail), the inbox, and what one-click unsubscribes change.

Defaults (no row stored): mail as a daily digest, the inbox at once; mail
at once only for moderation decisions on the person's own contributions.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from civic.core import audit, follows, people
from civic.core import time as core_time
from civic.core.errors import NotFound, ValidationError
from civic.core.events import FAMILIES, Event
from civic.core.models import MailOptOut
from civic.core.permissions import require
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.notifications import permissions
from civic.notifications.models import DigestPeriod, Notification, NotificationPreference

CHANNELS = ("mail", "inbox")
FREQUENCIES = {"mail": ("immediately", "daily", "weekly", "off"), "inbox": ("immediately", "off")}
DEFAULTS = {"mail": "daily", "inbox": "immediately"}
IMMEDIATE_MAIL_FAMILIES = ("moderation",)
TOKEN_MAX_AGE = timedelta(days=60)
UNREAD_CAP = 99  # the header counts at most this many (then "99+"): a bounded query
DIGEST_TOPIC = "notifications:digest"


def default_frequency(family: str, channel: str) -> str:
    if channel == "mail" and family in IMMEDIATE_MAIL_FAMILIES:
        return "immediately"
    return DEFAULTS[channel]


def mail_topic(family: str) -> str:
    """The outbox topic of a family's mails: one-click unsubscribe turns that family's mail off."""
    return f"notifications:{family}"


def preferences_for(user_ids) -> dict[int, dict[tuple[str, str], str]]:
    """Every (family, channel) frequency of each user, defaults filled in (one query)."""
    user_ids = list(user_ids)
    base = {(f, c): default_frequency(f, c) for f in FAMILIES for c in CHANNELS}
    prefs = {uid: dict(base) for uid in user_ids}
    for i in range(0, len(user_ids), 1000):
        for row in db.session.execute(sa.select(NotificationPreference.user_id, NotificationPreference.family,
                                                NotificationPreference.channel, NotificationPreference.frequency)
                                      .where(NotificationPreference.user_id.in_(user_ids[i:i + 1000]))):
            if (row.family, row.channel) in base:
                prefs[row.user_id][row.family, row.channel] = row.frequency
    return prefs


def preferences(user) -> dict[tuple[str, str], str]:
    return preferences_for([user.id])[user.id]


def set_preferences(actor, user, choices: dict[str, str], auto_follow: bool | None = None) -> None:
    """Change ``user``'s preferences. ``choices`` maps ``"<family>:<channel>"``
    to a frequency (what the form posts); unknown values are refused next to
    their field. A family's mail turned on again lifts an earlier one-click
    unsubscribe of it."""
    require(permissions.can_change_preferences(actor, user))
    errors, wanted = {}, {}
    for family in FAMILIES:
        for channel in CHANNELS:
            key = f"{family}:{channel}"
            value = choices.get(key)
            if value is None:
                continue
            if value not in FREQUENCIES[channel]:
                errors[key] = _("Choose one of the options.")
            else:
                wanted[family, channel] = value
    if errors:
        raise ValidationError(fields=errors)
    current = preferences(user)
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    for (family, channel), value in changed.items():
        _store(user.id, family, channel, value)
        if channel == "mail" and value != "off" and user.email:
            topics = [mail_topic(family)] + ([DIGEST_TOPIC] if value in ("daily", "weekly") else [])
            db.session.execute(sa.delete(MailOptOut).where(MailOptOut.email == user.email.lower(),
                                                           MailOptOut.topic.in_(topics)))
    if auto_follow is not None and auto_follow != follows.auto_follow_enabled(user):
        follows.set_auto_follow(user, auto_follow)
        changed["auto_follow", "-"] = "on" if auto_follow else "off"
    if changed:
        audit.record(user, "notifications.preferences_changed", "user", user.id,
                     **{f"{f}:{c}": v for (f, c), v in changed.items()})
    db.session.flush()


def _store(user_id: int, family: str, channel: str, value: str) -> None:
    row = db.session.scalar(sa.select(NotificationPreference).where(
        NotificationPreference.user_id == user_id, NotificationPreference.family == family,
        NotificationPreference.channel == channel))
    if value == default_frequency(family, channel):
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(NotificationPreference(user_id=user_id, family=family, channel=channel, frequency=value))
    else:
        row.frequency = value


def on_opt_out(email: str, topic: str) -> None:
    """Outbox listener: a one-click unsubscribe from a notification mail turns
    that family's mail off (from a digest: every family sent as a digest)."""
    if not topic.startswith("notifications:"):
        return
    User = people.user_model()
    user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
    if user is None:
        return
    family = topic.split(":", 1)[1]
    current = preferences(user)
    if family == "digest":
        targets = [f for f in FAMILIES if current[f, "mail"] in ("daily", "weekly")]
    elif family in FAMILIES:
        targets = [family]
    else:
        return
    for f in targets:
        _store(user.id, f, "mail", "off")
    db.session.flush()


# --- the signed link of every mail ------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="civic-notification-preferences")


def preferences_token(user) -> str:
    return _serializer().dumps({"u": user.id})


def preferences_url(user) -> str:
    """The address, in every notification mail, where the person changes
    their preferences without logging in (valid for 60 days)."""
    return absolute_url("notifications.preferences_by_link", token=preferences_token(user))


class TokenExpired(Exception):
    pass


def user_from_token(token: str):
    """The person a preferences link stands for. Raises TokenExpired for an
    old link, NotFound for a forged one or a deleted account."""
    try:
        data = _serializer().loads(token, max_age=int(TOKEN_MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise TokenExpired() from None
    except (BadSignature, TypeError, ValueError):
        raise NotFound() from None
    User = people.user_model()
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.deleted_at is not None:
        raise NotFound()
    return user


# --- the inbox --------------------------------------------------------------------

def unread_count(user) -> int:
    """Unread inbox items, counted up to UNREAD_CAP + 1 (the header shows "99+")."""
    inner = (sa.select(Notification.id).where(Notification.user_id == user.id, Notification.in_inbox.is_(True),
                                              Notification.read_at.is_(None)).limit(UNREAD_CAP + 1).subquery())
    return db.session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0


def inbox_page(user, page: int = 1, per_page: int = 30) -> tuple[list, bool]:
    """One page of the inbox, newest first: ``(notification, event)`` pairs, and whether there is more."""
    require(permissions.can_view_inbox(user))
    rows = db.session.execute(
        sa.select(Notification, Event).join(Event, Event.id == Notification.event_id)
        .where(Notification.user_id == user.id, Notification.in_inbox.is_(True))
        .order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return [tuple(r) for r in rows[:per_page]], len(rows) > per_page


def mark_read(actor, notification_id: int) -> Notification:
    """Mark one of the person's notifications read (idempotent)."""
    require(permissions.can_view_inbox(actor))
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != getattr(actor, "id", None):
        raise NotFound()
    require(permissions.can_change_notification(actor, notification))
    if notification.read_at is None:
        notification.read_at = core_time.utcnow()
        db.session.flush()
    return notification


def mark_all_read(actor) -> int:
    """Mark every unread notification of the person read; returns how many."""
    require(permissions.can_view_inbox(actor))
    done = db.session.execute(sa.update(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)).values(read_at=core_time.utcnow())).rowcount
    db.session.flush()
    return done


# --- my data ------------------------------------------------------------------------

def export_personal_data(user) -> dict:
    notifications = db.session.execute(
        sa.select(Notification, Event).join(Event, Event.id == Notification.event_id)
        .where(Notification.user_id == user.id).order_by(Notification.id)).all()
    return {
        "follows": follows.export_personal_data(user),
        "follow_automatically": follows.auto_follow_enabled(user),
        "preferences": [{"family": f, "channel": c, "frequency": v} for (f, c), v in sorted(preferences(user).items())],
        "notifications": [{"title": e.title, "url": e.url, "event": e.event_type, "reason": n.reason,
                           "created_at": n.created_at.isoformat(),
                           "read_at": n.read_at.isoformat() if n.read_at else None} for n, e in notifications],
        "digests_sent": [{"period": d.period, "period_start": d.period_start.isoformat()}
                         for d in db.session.scalars(sa.select(DigestPeriod).where(DigestPeriod.user_id == user.id)
                                                     .order_by(DigestPeriod.id))],
    }


def erase_personal_data(user) -> None:
    follows.erase_personal_data(user)
    for model in (Notification, NotificationPreference, DigestPeriod):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))


# --- districts, the follow target ----------------------------------------------------

def districts() -> list:
    from civic.accounts.models import District

    return db.session.scalars(sa.select(District).order_by(District.name)).all()


def district_title(district_id: int) -> str | None:
    from civic.accounts.models import District

    district = db.session.get(District, district_id)
    return district.name if district else None
