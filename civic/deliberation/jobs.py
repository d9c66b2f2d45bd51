"""Reply digests: at most one mail per person per digest period.

A reply records a :class:`ReplyNotification` in the business transaction and
enqueues :func:`send_reply_digest` for the parent's author. The job sends one
mail listing every unsent reply, unless that person already got a digest
within the period; the periodic :func:`send_due_reply_digests` picks those up
when the period is over (and anything a lost Redis dropped). ``sent_at`` is
the persisted marker; the outbox ``dedupe_key`` and a per-person lock make a
retried or concurrent run harmless.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import ngettext

from civic.accounts.models import User
from civic.core import content
from civic.core.jobs import job_lock
from civic.core.outbox import queue_mail
from civic.core.sanitize import clean_text
from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.deliberation.models import Comment, ReplyNotification
from civic.deliberation.settings import DIGEST_HOURS
from civic.extensions import db

TOPIC = "deliberation-replies"


def _period() -> timedelta:
    return timedelta(hours=get_setting(DIGEST_HOURS))


def _item_link(comment: Comment) -> tuple[str, str]:
    kind = content.get_kind(comment.kind)
    obj = db.session.get(kind.model, comment.object_id)
    if obj is None:
        return "", ""
    base = absolute_url("core.home").rstrip("/")
    url = kind.url(obj)
    if url.startswith("/"):
        url = base + url
    return kind.title(obj), f"{url}#comment-{comment.id}"


def send_reply_digest(user_id: int) -> bool:
    """Mail ``user_id`` the replies to their comments not told yet, unless a
    digest went out to them less than a period ago. Returns True if mailed."""
    with job_lock(f"deliberation-digest:{user_id}", ttl=120) as got:
        if not got:
            return False
        user = db.session.get(User, user_id)
        pending = db.session.scalars(
            sa.select(ReplyNotification).where(ReplyNotification.recipient_id == user_id,
                                               ReplyNotification.sent_at.is_(None))
            .order_by(ReplyNotification.id)).all()
        if not pending:
            return False
        now = utcnow()
        if user is None or user.deleted_at is not None or not user.email:
            for n in pending:
                n.sent_at = now
            db.session.commit()
            return False
        last = db.session.scalar(sa.select(sa.func.max(ReplyNotification.sent_at))
                                 .where(ReplyNotification.recipient_id == user_id))
        if last is not None and now - last < _period():
            return False
        comments = {c.id: c for c in db.session.scalars(
            sa.select(Comment).where(Comment.id.in_([n.comment_id for n in pending])))}
        replies = []
        for n in pending:
            c = comments.get(n.comment_id)
            # A reply deleted or hidden since is not worth a mail.
            if c is None or c.deleted_at is not None or c.hidden_at is not None:
                continue
            title, url = _item_link(c)
            if not url:
                continue
            author = c.author.display_name if c.author and c.author.deleted_at is None else None
            excerpt = clean_text(c.body_source)
            replies.append({"author": author, "title": title, "url": url,
                            "excerpt": excerpt if len(excerpt) <= 200 else excerpt[:199] + "…"})
        for n in pending:
            n.sent_at = now
        if replies:
            count = len(replies)
            queue_mail(user.email,
                       lambda: ngettext("%(num)d new reply to your comments", "%(num)d new replies to your comments",
                                        count),
                       "deliberation/replies", {"name": user.display_name, "replies": replies,
                                                    "hours": int(_period().total_seconds() // 3600)},
                       user=user, topic=TOPIC,
                       dedupe_key=f"deliberation-replies:{user_id}:{pending[0].id}-{pending[-1].id}")
        db.session.commit()
        return bool(replies)


def send_due_reply_digests() -> int:
    """Periodic: send the digests whose period is over (and any a lost queue dropped)."""
    user_ids = db.session.scalars(
        sa.select(ReplyNotification.recipient_id).where(ReplyNotification.sent_at.is_(None)).distinct()
    ).all()
    sent = 0
    for uid in user_ids:
        sent += bool(send_reply_digest(uid))
    return sent
