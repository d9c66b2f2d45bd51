"""Outbox: mails recorded in the business transaction, delivered by jobs.

A service calls :func:`queue_mail`; the row commits with the business change,
and a job delivers it after commit. If Redis is down or a worker dies, the
periodic sweeper re-delivers what is pending. A delivery is claimed with a
conditional UPDATE before sending, so two workers never send the same row, and
``dedupe_key`` makes a retried producer harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
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
# A delivery claims its rows for CLAIM and renews the claim of the rows it has
# not sent yet every HEARTBEAT while it works: a worker killed mid-batch leaves
# claims that expire within CLAIM, and the sweeper (every SWEEP_EVERY) takes
# them over within CLAIM + SWEEP_EVERY = 30 s, instead of signers waiting
# minutes for their confirmation mail. A send blocks at most mail.SMTP_TIMEOUT
# (10 s), so a live worker's claim never expires under it.
CLAIM = timedelta(seconds=20)
HEARTBEAT = 5.0
SWEEP_EVERY = 10
# Sent mails are marked delivered in small groups: after MARK_EVERY mails, or
# MARK_WITHIN seconds after the first unmarked one, whichever comes first. One
# statement per mail cost a database transaction per mail, a quarter of a
# surge's background work; a worker killed mid-group re-sends at most that
# group (a duplicate mail, never a lost one).
MARK_EVERY = 20
MARK_WITHIN = 0.2


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


_OPT_OUT_LISTENERS: list[Callable] = []


def register_opt_out_listener(fn: Callable) -> None:
    """``fn(email, topic)`` runs in the transaction of every unsubscribe
    (the notifications turn the family's mail preference off)."""
    if fn not in _OPT_OUT_LISTENERS:
        _OPT_OUT_LISTENERS.append(fn)


def opt_out(email: str, topic: str) -> None:
    """Record a one-click unsubscribe (idempotent)."""
    email = email.lower()
    if not is_opted_out(email, topic):
        db.session.add(MailOptOut(email=email, topic=topic))
        db.session.flush()
    for fn in _OPT_OUT_LISTENERS:
        fn(email, topic)


@dataclass
class Mail:
    """One mail for :func:`queue_mails` (the arguments of :func:`queue_mail`)."""

    to_email: str
    subject: str | Callable[[], str]
    template: str
    context: dict | None = None
    locale: str | None = None
    user_id: int | None = None
    topic: str | None = None
    dedupe_key: str | None = None


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
    ids = queue_mails([Mail(to_email, subject, template, context, locale=locale or getattr(user, "locale", None),
                            user_id=getattr(user, "id", None), topic=topic, dedupe_key=dedupe_key)])
    return db.session.get(OutboxMessage, ids[0]) if ids else None


def queue_mails(mails: list[Mail], *, enqueue: bool = True) -> list[int]:
    """Record many mails at once (what a mailing to thousands of signers or a
    burst of confirmations needs): one query for the unsubscribes, one for the
    dedupe keys, templates rendered one locale at a time, and one INSERT per
    chunk. Same rules as :func:`queue_mail`; returns the ids of the rows made.

    A dedupe key queued concurrently by another transaction is skipped by
    ``ON CONFLICT DO NOTHING`` instead of failing this one. A job that goes on
    to call :func:`deliver_messages` itself after commit passes
    ``enqueue=False`` (if it dies first, the sweeper delivers).
    """
    mails = [m for m in mails if m.to_email]
    opted_out = _opted_out({(m.to_email.lower(), m.topic) for m in mails if m.topic})
    taken = _taken_dedupe_keys([m.dedupe_key for m in mails if m.dedupe_key])
    by_locale = {}
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for m in mails:
        if (m.topic and (m.to_email.lower(), m.topic) in opted_out) or m.dedupe_key in taken:
            continue
        if m.dedupe_key:
            taken.add(m.dedupe_key)  # twice in this batch: once
        by_locale.setdefault(m.locale or default, []).append(m)
    rows = []
    for locale, group in by_locale.items():
        with force_locale(locale):
            rows += [_render(m) for m in group]
    ids = []
    if rows:
        # One statement compiled once; SQLAlchemy sends the rows as multi-row
        # INSERTs ("insertmanyvalues"), a 200-row VALUES list compiled per
        # batch cost more than rendering the mails.
        ids = list(db.session.connection().execute(_insert_statement(), rows).scalars())
    if enqueue:
        for mid in sorted(ids):
            enqueue_batched(deliver_messages, mid)
    return sorted(ids)


_STATEMENTS: dict = {}


def _insert_statement():
    dialect = db.engine.dialect.name
    if ("insert", dialect) not in _STATEMENTS:
        table = OutboxMessage.__table__
        insert = sa.dialects.postgresql.insert if dialect == "postgresql" else sa.dialects.sqlite.insert
        _STATEMENTS["insert", dialect] = (insert(table).on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
                                          .returning(table.c.id))
    return _STATEMENTS["insert", dialect]


def _delivered_statement():
    if "delivered" not in _STATEMENTS:
        table = OutboxMessage.__table__
        _STATEMENTS["delivered"] = table.update().where(
            table.c.id.in_(sa.bindparam("ids", expanding=True))).values(delivered_at=sa.bindparam("at"),
                                                                          last_error=None)
    return _STATEMENTS["delivered"]


def _taken_dedupe_keys(keys: list[str]) -> set[str]:
    taken = set()
    for i in range(0, len(keys), 500):
        taken |= set(db.session.scalars(sa.select(OutboxMessage.dedupe_key)
                                        .where(OutboxMessage.dedupe_key.in_(keys[i:i + 500]))))
    return taken


def _opted_out(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (email, topic) pairs among ``pairs`` whose address unsubscribed
    from that topic or from all bulk mail."""
    out = set()
    pairs = sorted(pairs)
    for i in range(0, len(pairs), 500):
        chunk = pairs[i:i + 500]
        rows = db.session.execute(sa.select(MailOptOut.email, MailOptOut.topic).where(
            MailOptOut.email.in_({e for e, _t in chunk}), MailOptOut.topic.in_({t for _e, t in chunk} | {"*"}))).all()
        for email, topic in rows:
            out |= {(e, t) for e, t in chunk if e == email and topic in (t, "*")}
    return out


def _render(m: Mail) -> dict:
    ctx = dict(m.context or {})
    ctx["site_name"] = current_app.config["SITE_NAME"]
    ctx["base_url"] = current_app.config["BASE_URL"]
    if m.topic:
        ctx["unsubscribe_url"] = absolute_url("core.unsubscribe", token=unsubscribe_token(m.to_email.lower(), m.topic))
    subject = m.subject() if callable(m.subject) else str(m.subject)
    return {"to_email": m.to_email, "user_id": m.user_id, "subject": subject[:300],
            "body_text": render_template(f"mail/{m.template}.txt", **ctx), "topic": m.topic,
            "dedupe_key": m.dedupe_key, "created_at": utcnow(), "attempts": 0}


def _claim(ids: list[int]) -> list:
    """Claim the deliverable rows among ``ids`` with one conditional UPDATE,
    committed before sending: a concurrent worker's UPDATE waits for this one
    and then no longer matches the claimed rows."""
    now = utcnow()
    table = OutboxMessage.__table__
    rows = db.session.execute(
        table.update().where(
            table.c.id.in_(ids), table.c.delivered_at.is_(None), table.c.failed_at.is_(None),
            sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        ).values(claimed_until=now + CLAIM, attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.to_email, table.c.subject, table.c.body_text, table.c.topic, table.c.attempts)
    ).all()
    db.session.commit()
    return sorted(rows, key=lambda r: r.id)


def deliver_messages(ids: list[int]) -> None:
    """Job: deliver outbox rows by id; already delivered or claimed rows are skipped.

    Sent mails are marked delivered in their own small transactions, in groups
    of at most ``MARK_EVERY`` and within ``MARK_WITHIN`` seconds, so a worker
    killed mid-batch re-sends nothing already marked and at most one group.
    """
    rows = _claim(list(ids))
    if not rows:
        return
    try:
        transport = mail.Transport().__enter__()
    except Exception as exc:  # SMTP down: release for the sweeper, with backoff
        for row in rows:
            _failed(row, exc)
        db.session.commit()
        return
    domain = current_app.config["BASE_URL"].split("//")[-1].split("/")[0].split(":")[0] or "civic.localhost"
    sent: list[int] = []
    first_sent = 0.0
    last_beat = time.monotonic()
    try:
        with _marks_connection() as marks:
            try:
                for index, row in enumerate(rows):
                    if time.monotonic() - last_beat >= HEARTBEAT:
                        _renew_claims(marks, [r.id for r in rows[index:]])
                        last_beat = time.monotonic()
                    headers = {}
                    if row.topic:
                        url = absolute_url("core.unsubscribe",
                                           token=unsubscribe_token(row.to_email.lower(), row.topic))
                        headers = {"List-Unsubscribe": f"<{url}>",
                                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
                    msg = mail.build(row.to_email, row.subject, row.body_text, headers=headers,
                                     message_id=f"<outbox-{row.id}@{domain}>")
                    try:
                        transport.send(msg, f"{row.id:08d}")
                    except Exception as exc:
                        _failed(row, exc, conn=marks)
                        continue
                    if not sent:
                        first_sent = time.monotonic()
                    sent.append(row.id)
                    if len(sent) >= MARK_EVERY or time.monotonic() - first_sent >= MARK_WITHIN:
                        _mark_delivered(marks, sent)
                        sent = []
            finally:
                if sent:
                    _mark_delivered(marks, sent)
    finally:
        transport.__exit__(None, None, None)


def _renew_claims(conn, ids: list[int]) -> None:
    """The heartbeat: this worker is alive and still owns the rows it has
    not sent yet."""
    table = OutboxMessage.__table__
    conn.execute(table.update().where(table.c.id.in_(ids), table.c.delivered_at.is_(None))
                 .values(claimed_until=utcnow() + CLAIM))


def _mark_delivered(conn, ids: list[int]) -> None:
    conn.execute(_delivered_statement(), {"ids": ids, "at": utcnow()})


@contextmanager
def _marks_connection():
    """A connection in autocommit mode for the delivery marks: each group's
    mark is one statement and one round trip, committed at once.

    On PostgreSQL the marks need not wait for the WAL flush: only a crash of
    the database server itself could lose the last few milliseconds of marks
    (those mails would be sent again). A killed worker loses nothing: its
    marks are in the server already.
    """
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        relaxed = conn.dialect.name == "postgresql"
        if relaxed:
            conn.exec_driver_sql("SET synchronous_commit TO OFF")
        try:
            yield conn
        finally:
            if relaxed:
                conn.exec_driver_sql("RESET synchronous_commit")


def _failed(row, exc: Exception, *, conn=None) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    table = OutboxMessage.__table__
    if row.attempts >= MAX_ATTEMPTS:
        values = {"failed_at": utcnow()}
    else:
        values = {"claimed_until": utcnow() + timedelta(seconds=30 * 2 ** row.attempts)}
    (conn or db.session).execute(table.update().where(table.c.id == row.id).values(last_error=error, **values))
    current_app.logger.warning("outbox %s: delivery failed (%s)", row.id, error)
    from civic.core.metrics import MAIL_FAILURES

    MAIL_FAILURES.inc()


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
