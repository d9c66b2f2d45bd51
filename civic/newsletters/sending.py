"""Queueing a scheduled newsletter through the outbox, paced and resumable.

Each run of the periodic sender queues at most ``newsletters.per_minute``
mails, in transactions of ``CHUNK`` recipients taken by increasing user id
after the letter's cursor. The cursor moves in the transaction that queues
the chunk, and each mail has the dedupe key ``newsletter:<id>:<user>``: a
worker killed between chunks resumes after the last chunk committed, and a
chunk queued twice (two senders racing) is queued once. Memory stays flat
whatever the audience: a chunk at a time, never the whole list.
"""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import User
from civic.core import consents
from civic.core import time as core_time
from civic.core.outbox import Mail, queue_mails
from civic.core.settings import get_setting
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.newsletters.models import FLOW, Newsletter, Status

TEMPLATE = "newsletters/newsletter"
TOPIC = "newsletter"
CHUNK = 500


def mail_context(letter: Newsletter, *, test: bool = False) -> dict:
    return {"letter": letter, "test": test,
            "archive_url": absolute_url("newsletters.show", letter_id=letter.id),
            "account_url": absolute_url("accounts.settings") + "#s-consents"}


def _audience(letter: Newsletter):
    q = sa.select(User.id, User.email, User.locale).where(
        User.id.in_(consents.consenting(TOPIC)), User.deleted_at.is_(None), User.email.is_not(None),
        User.email_confirmed_at.is_not(None))
    if letter.district_id is not None:
        q = q.where(User.district_id == letter.district_id)
    return q


def audience_count(letter: Newsletter) -> int:
    """How many residents the letter would reach now."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(_audience(letter).subquery()))


def queue_chunk(letter: Newsletter, limit: int) -> int:
    """Queue the next ``limit`` recipients after the cursor; returns how many were taken."""
    rows = db.session.execute(_audience(letter).where(User.id > letter.cursor_user_id)
                              .order_by(User.id).limit(limit)).all()
    if rows:
        context = mail_context(letter)
        queue_mails([Mail(email, letter.subject, TEMPLATE, context, locale=locale, user_id=uid, topic=TOPIC,
                          dedupe_key=f"newsletter:{letter.id}:{uid}") for uid, email, locale in rows])
        letter.cursor_user_id = rows[-1][0]
        letter.queued_count += len(rows)
    return len(rows)


def run_sender() -> int:
    """Start the letters whose time has come and queue the next paced batch
    of the letters being sent; commits each chunk. Returns mails queued."""
    now = core_time.utcnow()
    # populate_existing: the rows are read as they are now, whatever the session held before.
    for letter in db.session.scalars(sa.select(Newsletter).where(Newsletter.status == Status.SCHEDULED,
                                                                 Newsletter.scheduled_at <= now)
                                     .execution_options(populate_existing=True)):
        transition(letter, FLOW, Status.SENDING, None, "newsletter.sending", attr="status")
        letter.started_at = now
    db.session.commit()
    budget = get_setting("newsletters.per_minute")
    queued = 0
    ids = list(db.session.scalars(sa.select(Newsletter.id).where(Newsletter.status == Status.SENDING)
                                  .order_by(Newsletter.started_at, Newsletter.id)))
    for letter_id in ids:
        while budget > 0:
            letter = db.session.get(Newsletter, letter_id)
            taken = queue_chunk(letter, min(CHUNK, budget))
            budget -= taken
            queued += taken
            if taken < min(CHUNK, budget + taken):
                transition(letter, FLOW, Status.SENT, None, "newsletter.sent", attr="status",
                           recipients=letter.queued_count)
                letter.sent_at = core_time.utcnow()
                db.session.commit()
                break
            db.session.commit()
    return queued
