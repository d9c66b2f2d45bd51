"""Consultation jobs: they take ids, reload rows and are idempotent.

The services enqueue these; nothing here imports the services (the package's
files import in one direction only). What both need is in the models (the
flow, ``Consultation.stop_answering``), ``tally`` and ``labels``.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import District, User
from civic.core import audit, content
from civic.core.follows import followers
from civic.core.jobs import enqueue, job_lock
from civic.core.outbox import queue_mail
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db

from . import tally
from .labels import OUTCOME_LABELS
from .models import FLOW, AnonymousResponse, Consultation, ConsultationParticipation, FreeTextAnswer, Status

# --- closing ---------------------------------------------------------------------------


def close_due(now: datetime | None = None) -> int:
    """Periodic: close what reached its closing date; compute missing results.
    Returns how many consultations it closed."""
    now = now or utcnow()
    due = db.session.scalars(sa.select(Consultation).where(
        Consultation.status == Status.PUBLISHED, Consultation.closes_at <= now)).all()
    for c in due:
        transition(c, FLOW, Status.CLOSED, None, "consultation.closed", attr="status", reason=None)
        c.stop_answering(utcnow())
        db.session.flush()
        enqueue(compute_results, c.id)
    # A results job lost with Redis is caught up here.
    for cid in db.session.scalars(sa.select(Consultation.id).where(
            Consultation.status == Status.CLOSED, Consultation.results_computed_at.is_(None))).all():
        enqueue(compute_results, cid)
    return len(due)


# --- results ---------------------------------------------------------------------------

def compute_results(consultation_id: int) -> None:
    """Compute and persist the results of a closed consultation (once)."""
    with job_lock(f"consultation-results:{consultation_id}", ttl=600) as got:
        if not got:
            return
        publish_results(consultation_id)
        # Commit inside the lock: the next holder must see the marker.
        db.session.commit()


def publish_results(consultation_id: int) -> bool:
    """Mix, compute and persist the results of a closed consultation once;
    then notify participants who asked. Returns True if it did the work."""
    c = db.session.get(Consultation, consultation_id)
    if c is None or c.status != Status.CLOSED or c.results_computed_at is not None:
        return False
    mix_responses(c)
    c.results = build_results(c)
    c.results_computed_at = utcnow()
    db.session.flush()
    audit.record(None, "consultation.results_published", "consultation", c.id, total=c.results["total"])
    enqueue(notify_participants, c.id, "results")
    return True


def mix_responses(c: Consultation) -> None:
    """Rewrite a closed consultation's responses in random order with new ids,
    in one statement per table.

    Random ids already keep the logical data unlinkable; this also erases what
    the storage engine keeps about insertion (row order on disk, PostgreSQL's
    per-row transaction ids), which follows the order in which people answered.
    Edit codes are dropped: answers can no longer change.
    """
    responses = db.session.execute(sa.select(AnonymousResponse.id, AnonymousResponse.district_id,
                                             AnonymousResponse.answers).where(
        AnonymousResponse.consultation_id == c.id)).all()
    texts = db.session.execute(sa.select(FreeTextAnswer.response_id, FreeTextAnswer.question_id,
                                         FreeTextAnswer.is_other, FreeTextAnswer.text, FreeTextAnswer.review)
                               .where(FreeTextAnswer.consultation_id == c.id)).all()
    if not responses:
        return
    new_ids = {r.id: uuid.uuid4() for r in responses}
    db.session.execute(sa.delete(FreeTextAnswer).where(FreeTextAnswer.consultation_id == c.id))
    db.session.execute(sa.delete(AnonymousResponse).where(AnonymousResponse.consultation_id == c.id))
    rows = [{"id": new_ids[r.id], "consultation_id": c.id, "district_id": r.district_id, "answers": r.answers,
             "edit_token_hash": None} for r in responses]
    random.SystemRandom().shuffle(rows)
    db.session.execute(sa.insert(AnonymousResponse), rows)
    text_rows = [{"id": uuid.uuid4(), "consultation_id": c.id, "question_id": t.question_id,
                  "response_id": new_ids[t.response_id], "is_other": t.is_other, "text": t.text,
                  "review": t.review} for t in texts]
    random.SystemRandom().shuffle(text_rows)
    if text_rows:
        db.session.execute(sa.insert(FreeTextAnswer), text_rows)
    db.session.flush()


def build_results(c: Consultation) -> dict:
    """Read ``c``'s answers and hand them to the pure tally (see ``tally.results``)."""
    rows = db.session.execute(sa.select(AnonymousResponse.district_id, AnonymousResponse.answers).where(
        AnonymousResponse.consultation_id == c.id)).all()
    paper = db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationParticipation).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.on_paper.is_(True)))
    districts = {d.id: d for d in db.session.scalars(sa.select(District)).all()}
    return tally.results(c.questions, [(d, a) for d, a in rows], districts, paper=paper or 0)


# --- notifications (idempotent through dedupe keys) --------------------------------------

def notify_participants(consultation_id: int, what: str) -> int:
    """Mail participants who opted in, and followers, that results or the
    follow-up are published. Bulk mail: one-click unsubscribe per consultation."""
    c = db.session.get(Consultation, consultation_id)
    if c is None or (what == "followup" and c.followup_published_at is None) or (
            what == "results" and c.results_computed_at is None):
        return 0
    people = db.session.scalars(sa.select(User).join(
        ConsultationParticipation, ConsultationParticipation.user_id == User.id).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.notify.is_(True),
        User.deleted_at.is_(None), User.email.is_not(None))).all()
    recipients = {u.id: (u, f"consultation:{c.id}") for u in people}
    for u in followers("consultation", c.id):
        recipients.setdefault(u.id, (u, f"follow:consultation:{c.id}"))
    url = absolute_url("consultations.results" if what == "results" else "consultations.detail",
                       consultation_id=c.id)
    title = c.title
    if what == "results":
        subject = lambda: _("Results published: %(title)s", title=title)  # noqa: E731
    else:
        subject = lambda: _("What the city decided: %(title)s", title=title)  # noqa: E731
    sent = 0
    for user, topic in recipients.values():
        if queue_mail(user.email, subject, f"consultations/{what}",
                      {"user": user, "consultation": c, "url": url, "due_on": c.results_due_on},
                      user=user, topic=topic, dedupe_key=f"consultation:{c.id}:{what}:{user.id}"):
            sent += 1
    return sent


def notify_contributors(consultation_id: int) -> int:
    """Tell the authors of linked contributions what became of them."""
    c = db.session.get(Consultation, consultation_id)
    if c is None or c.followup_published_at is None:
        return 0
    url = absolute_url("consultations.detail", consultation_id=c.id)
    title = c.title
    sent = 0
    for d in c.decisions:
        for link in d.links:
            kind = content.get_kind(link.kind)
            obj = db.session.get(kind.model, link.object_id)
            author_id = kind.author_id(obj) if obj is not None else None
            author = db.session.get(User, author_id) if author_id else None
            if author is None or author.email is None or author.deleted_at is not None:
                continue
            if queue_mail(author.email, lambda: _("What became of your contribution: %(title)s", title=title),
                          "consultations/decision",
                          {"user": author, "consultation": c, "decision": d, "link": link,
                           "contribution": kind.title(obj), "outcome": str(OUTCOME_LABELS[link.outcome]), "url": url},
                          user=author, dedupe_key=f"consultation-link:{link.id}"):
                sent += 1
    return sent
