"""Outbox: mails recorded in the business transaction, delivered by jobs.

A service calls :func:`queue_mail`; the row commits with the business change,
and a job delivers it after commit. If Redis is down or a worker dies, the
periodic sweeper re-delivers what is pending. A delivery is claimed with a
conditional UPDATE before sending, so two workers never send the same row, and
``dedupe_key`` makes a retried producer harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer

from civic.core import mail
from civic.core.jobs import enqueue_batched
from civic.core.models import MailOptOut, OutboxMessage
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db

MAX_ATTEMPTS = 8
CLAIM = timedelta(minutes=5)


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="civic-unsubscribe")


def unsubscribe_token(email: str, topic: str) -> str:
    return _serializer().dumps({"e": email, "t": topic})


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    try:
        data = _serializer().loads(token)
        return data["e"], data["t"]
    except (BadSignature, KeyError, TypeError):
        return None


def is_opted_out(email: str, topic: str) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(MailOptOut)
        .where(MailOptOut.email == email.lower(), MailOptOut.topic.in_([topic, "*"]))
    ) > 0


def opt_out(email: str, topic: str) -> None:
    """Record a one-click unsubscribe (idempotent)."""
    email = email.lower()
    if not is_opted_out(email, topic):
        db.session.add(MailOptOut(email=email, topic=topic))
        db.session.flush()


def queue_mail(to_email: str, subject: str | Callable[[], str], template: str, context: dict | None = None, *,
               user=None, locale: str | None = None, topic: str | None = None,
               dedupe_key: str | None = None) -> OutboxMessage | None:
    """Record a mail to send after commit.

    ``subject`` may be a callable so it is translated in the recipient's
    locale. ``template`` names ``templates/mail/<template>.txt``. A ``topic``
    marks bulk mail: it is skipped for people who unsubscribed from that topic
    and carries a one-click unsubscribe link and List-Unsubscribe headers.
    Returns None when skipped (opted out, or ``dedupe_key`` already queued).
    """
    if not to_email:
        return None
    if topic and is_opted_out(to_email, topic):
        return None
    if dedupe_key and db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    locale = locale or getattr(user, "locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    ctx = dict(context or {})
    ctx["site_name"] = current_app.config["SITE_NAME"]
    ctx["base_url"] = current_app.config["BASE_URL"]
    if topic:
        ctx["unsubscribe_url"] = absolute_url("core.unsubscribe", token=unsubscribe_token(to_email.lower(), topic))
    with force_locale(locale):
        subject_text = subject() if callable(subject) else str(subject)
        body = render_template(f"mail/{template}.txt", **ctx)
    msg = OutboxMessage(to_email=to_email, user_id=getattr(user, "id", None), subject=subject_text[:300],
                        body_text=body, topic=topic, dedupe_key=dedupe_key)
    db.session.add(msg)
    db.session.flush()
    enqueue_batched(deliver_messages, msg.id)
    return msg


def _claim(ids: list[int]) -> list[int]:
    now = utcnow()
    table = OutboxMessage.__table__
    claimed = []
    # One conditional UPDATE per row, committed before sending: a concurrent
    # worker sees the claim and skips the row.
    for mid in ids:
        n = db.session.execute(
            table.update().where(
                table.c.id == mid, table.c.delivered_at.is_(None), table.c.failed_at.is_(None),
                sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
            ).values(claimed_until=now + CLAIM, attempts=table.c.attempts + 1)
        ).rowcount
        if n:
            claimed.append(mid)
    db.session.commit()
    return claimed


def deliver_messages(ids: list[int]) -> None:
    """Job: deliver outbox rows by id; already delivered or claimed rows are skipped."""
    claimed = _claim(list(ids))
    if not claimed:
        return
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(claimed))).all()
    try:
        transport = mail.Transport().__enter__()
    except Exception as exc:  # SMTP down: release for the sweeper, with backoff
        for row in rows:
            _failed(row, exc)
        db.session.commit()
        return
    # On PostgreSQL the per-mail "delivered" marks need not wait for the WAL
    # flush: only a crash of the database server itself could lose the last
    # few milliseconds of marks (those mails would be sent again). A killed
    # worker loses nothing: its commits are in the server already.
    relaxed = db.engine.dialect.name == "postgresql"
    try:
        for row in rows:
            if relaxed:
                db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
            headers = {}
            if row.topic:
                url = absolute_url("core.unsubscribe", token=unsubscribe_token(row.to_email.lower(), row.topic))
                headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            domain = current_app.config["BASE_URL"].split("//")[-1].split("/")[0].split(":")[0] or "civic.localhost"
            msg = mail.build(row.to_email, row.subject, row.body_text, headers=headers,
                             message_id=f"<outbox-{row.id}@{domain}>")
            try:
                transport.send(msg, f"{row.id:08d}")
            except Exception as exc:
                _failed(row, exc)
            else:
                row.delivered_at = utcnow()
                row.last_error = None
            # Commit after each send: a crash later re-sends at most nothing already marked.
            db.session.commit()
    finally:
        transport.__exit__(None, None, None)


def _failed(row: OutboxMessage, exc: Exception) -> None:
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.failed_at = utcnow()
    else:
        row.claimed_until = utcnow() + timedelta(seconds=30 * 2 ** row.attempts)
    current_app.logger.warning("outbox %s: delivery failed (%s)", row.id, row.last_error)


def sweep_outbox(limit: int = 1000) -> int:
    """Periodic job: deliver rows that no job delivered (Redis or worker lost)."""
    now = utcnow()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id).where(
            OutboxMessage.delivered_at.is_(None), OutboxMessage.failed_at.is_(None),
            sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            OutboxMessage.created_at < now - timedelta(seconds=20),
        ).order_by(OutboxMessage.id).limit(limit)
    ).all()
    for i in range(0, len(ids), 200):
        deliver_messages(ids[i:i + 200])
    return len(ids)
