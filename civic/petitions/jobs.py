"""The petitions' background jobs, enqueued by the services after commit or
run by the scheduler (registered in :mod:`civic.petitions.kind`): the
confirmation mails of a surge, news mailings, invalidation runs, closing,
retention and the hourly traffic report. Counting is :mod:`civic.petitions.tally`.

Every job is idempotent: it reloads its rows and checks a persisted marker.
What they need of the services lives in modules that never enqueue a job
(``services.confirmations``, ``services.criteria``, ``services.recipients``),
so no two files of the package import each other.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit
from civic.core.jobs import enqueue
from civic.core.outbox import Mail, deliver_messages, queue_mail, queue_mails
from civic.core.permissions import MODERATOR
from civic.core.redis import redis_client
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions import settings as psettings
from civic.petitions.labels import DECISIONS
from civic.petitions.models import (
    FLOW,
    InvalidationRun,
    NewsKind,
    Petition,
    PetitionNews,
    PetitionState,
    Signature,
    SignatureSource,
    SignatureState,
    SigningPause,
    TrafficReport,
)
from civic.petitions.services.confirmations import MAIL_TRIGGER_KEY, queue_signature_mails
from civic.petitions.services.criteria import matching_ids
from civic.petitions.services.recipients import people_with_role

S = PetitionState
NEWS_BATCH = 500


# --- confirmation mails ----------------------------------------------------------

# In a surge, one run every MAIL_PACE seconds at most: the runs then mail
# batches of hundreds instead of a handful each, so the queue's overhead per
# job stays small next to the mails. A lone signer is mailed at once.
MAIL_PACE = 0.25
MAIL_LAST_RUN_KEY = "civic:petitions:signature-mails:last-run"


def run_signature_mails(batch: int = 200) -> int:
    """Job: send every pending confirmation mail, batch by batch (each batch
    commits with its outbox rows, then is delivered by this job).

    The trigger flag is deleted before the pending rows are read (see
    ``civic.petitions.services.signing``); while this job waits for its pace,
    the flag is still set, so signers arriving meanwhile join this run.
    """
    client = redis_client()
    if client is not None:
        try:
            last = client.get(MAIL_LAST_RUN_KEY)
            wait = float(last) + MAIL_PACE - time.time() if last else 0
            if wait > 0:
                time.sleep(min(wait, MAIL_PACE))
            client.delete(MAIL_TRIGGER_KEY)
        except Exception:  # Redis lost: mail what is pending now; the sweeper does the rest
            pass
    total = 0
    while True:
        n, mail_ids = queue_signature_mails(limit=batch, enqueue=False)
        db.session.commit()
        # Delivered here rather than by one more queued job per batch: in a
        # surge the queue's overhead per job cost more than the mails. If this
        # worker dies first, the outbox sweeper delivers them.
        deliver_messages(mail_ids)
        total += n
        if n < batch:
            break
    if client is not None:
        try:
            client.set(MAIL_LAST_RUN_KEY, repr(time.time()), ex=60)
        except Exception:
            pass
    return total


def send_signature_mails(ids=None, limit: int = 200) -> int:
    """Job: turn signatures waiting for their confirmation mail into outbox
    mail (delivered by jobs after commit). Returns how many were claimed."""
    return queue_signature_mails(ids, limit)[0]


def sweep_signature_mails() -> int:
    """Periodic: confirmation mails whose job was lost (Redis down, worker killed)."""
    cutoff = utcnow() - timedelta(seconds=20)
    ids = db.session.scalars(sa.select(Signature.id).where(Signature.mail_pending,  # bare: the partial index
                                                           Signature.created_at < cutoff).limit(2000)).all()
    done = 0
    for i in range(0, len(ids), 200):
        done += send_signature_mails(ids[i:i + 200])
    return done


# --- moderation tools ----------------------------------------------------------

def traffic_report(now=None) -> list[TrafficReport]:
    """Hourly: IPs and email domains with unusual volume on one petition in the
    last full hour are recorded and mailed to moderators (once per hour)."""
    values = psettings.load()
    now = now or utcnow()
    hour_end = now.replace(minute=0, second=0, microsecond=0)
    hour = hour_end - timedelta(hours=1)
    exempt = psettings.exempt_domains(values)
    threshold = values["report_volume"]
    found = []
    t = Signature.__table__
    for key_type, column in (("ip", t.c.ip), ("domain", t.c.email_domain)):
        rows = db.session.execute(sa.select(t.c.petition_id, column, sa.func.count()).where(
            t.c.created_at >= hour, t.c.created_at < hour_end, t.c.source == SignatureSource.ONLINE.value,
            column.is_not(None)).group_by(t.c.petition_id, column).having(sa.func.count() >= threshold)).all()
        for pid, key, count in rows:
            if key_type == "domain" and key in exempt:
                continue
            exists = db.session.scalar(sa.select(TrafficReport.id).where(
                TrafficReport.hour == hour, TrafficReport.petition_id == pid, TrafficReport.key_type == key_type,
                TrafficReport.key == key))
            if exists is None:
                report = TrafficReport(hour=hour, petition_id=pid, key_type=key_type, key=key, count=count)
                db.session.add(report)
                found.append(report)
    db.session.flush()
    if found:
        titles = dict(db.session.execute(sa.select(Petition.id, Petition.title).where(
            Petition.id.in_({r.petition_id for r in found}))).all())
        lines = [{"petition": titles.get(r.petition_id, "?"), "petition_id": r.petition_id, "type": r.key_type,
                  "key": r.key, "count": r.count,
                  "exempt": r.key_type == "ip" and psettings.ip_exempt(values, r.key)} for r in found]
        for mod in people_with_role(MODERATOR, None):
            queue_mail(mod.email, lambda: _("Petitions: unusual signing volume"), "petitions/traffic_report",
                       {"lines": lines, "hour": hour, "url": absolute_url("petitions.traffic")}, user=mod,
                       dedupe_key=f"ptraffic:{hour.isoformat()}:{mod.id}")
    return found


def run_invalidation(run_id: int, batch: int = 2000) -> None:
    """Job: invalidate one batch of matches and re-enqueue until done; the
    tally then corrects the counts (the rows are marked dirty). Idempotent:
    invalidated rows no longer match."""
    run = db.session.get(InvalidationRun, run_id)
    if run is None or run.done_at is not None:
        return
    ids = matching_ids(run.criteria, limit=batch)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        db.session.execute(sa.update(Signature).where(
            Signature.id.in_(chunk), Signature.state.in_([SignatureState.PENDING, SignatureState.VALIDATED]))
            .values(state=SignatureState.INVALIDATED, dirty=True, mail_pending=False),
            execution_options={"synchronize_session": False})
    run.invalidated += len(ids)
    if len(ids) < batch:
        run.done_at = utcnow()
        audit.record(run.created_by_id, "petition.invalidation_done", "petition", run.criteria.get("petition_id"),
                     run_id=run.id, invalidated=run.invalidated)
    else:
        enqueue(run_invalidation, run.id)
    db.session.flush()


# --- news mailings ---------------------------------------------------------------

def mail_news(news_id: int) -> None:
    """Job: mail one batch of opted-in signers, move the watermark, and
    re-enqueue itself for the next batch. Each signer gets at most one mail per
    news: the dedupe key (news, signature) holds even if the job restarts."""
    news = db.session.get(PetitionNews, news_id)
    if news is None or news.mailing_done_at is not None:
        return
    petition = news.petition
    rows = db.session.execute(sa.select(Signature.id, Signature.email, Signature.locale).where(
        Signature.petition_id == petition.id, Signature.state == SignatureState.VALIDATED,
        Signature.flagged.is_(False), Signature.notify.is_(True), Signature.email.is_not(None),
        Signature.id > news.mailed_up_to).order_by(Signature.id).limit(NEWS_BATCH)).all()
    template = f"petitions/news_{news.kind.value}"
    subjects = {NewsKind.RESPONSE: lambda: _("The official response to the petition you signed"),
                NewsKind.DEBATE: lambda: _("The petition you signed was debated"),
                NewsKind.UPDATE: lambda: _("News from the petition you signed")}
    ctx = {"petition": petition, "news": news, "decision": str(DECISIONS.get(news.decision or "", "")),
           "url": absolute_url("petitions.detail", petition_id=petition.id)}
    queue_mails([Mail(email, subjects[news.kind], template, ctx, locale=locale, topic=f"petition:{petition.id}",
                      dedupe_key=f"pnews:{news.id}:{sid}") for sid, email, locale in rows])
    if rows:
        news.mailed_up_to = rows[-1][0]
    if len(rows) < NEWS_BATCH:
        news.mailing_done_at = utcnow()
    else:
        enqueue(mail_news, news.id)
    db.session.flush()


def sweep_news_mailings() -> None:
    """Periodic: resume mailings whose job was lost."""
    for nid in db.session.scalars(sa.select(PetitionNews.id).where(
            PetitionNews.mailing_done_at.is_(None),
            PetitionNews.published_at < utcnow() - timedelta(minutes=2))).all():
        mail_news(nid)


# --- closing, pauses and retention -----------------------------------------------

def _open_pause():
    return db.session.scalar(sa.select(SigningPause).where(SigningPause.ended_at.is_(None)))


def close_due_petitions(now: datetime | None = None) -> int:
    """Periodic: record pauses of signing (extending deadlines by the paused
    days when a pause ends) and close the petitions whose time is up."""
    now = now or utcnow()
    values = psettings.load()
    pause = _open_pause()
    if values["signing_paused"]:
        if pause is None:
            db.session.add(SigningPause(started_at=now))
            audit.record(None, "petition.signing_paused")
            db.session.flush()
        return 0  # nothing closes during a pause
    if pause is not None:
        days = max(1, -(-(now - pause.started_at) // timedelta(days=1)))  # whole days, rounded up
        pause.ended_at, pause.extended_days = now, days
        # Date arithmetic in Python: portable, and open petitions are few.
        for petition in db.session.scalars(sa.select(Petition).where(Petition.state == S.OPEN)).all():
            petition.closes_at += timedelta(days=days)
            petition.updated_at = now
        audit.record(None, "petition.signing_resumed", extended_days=days)
        db.session.flush()
    due = db.session.scalars(sa.select(Petition).where(Petition.state == S.OPEN, Petition.closes_at <= now)).all()
    for petition in due:
        petition.closed_at = now
        transition(petition, FLOW, S.CLOSED, None, "petition.closed", kind="petition", stamp="updated_at")
        if petition.creator and petition.creator.email:
            queue_mail(petition.creator.email, lambda: _("Your petition is closed"), "petitions/closed",
                       {"petition": petition, "url": absolute_url("petitions.detail", petition_id=petition.id)},
                       user=petition.creator, dedupe_key=f"pclosed:{petition.id}")
    db.session.flush()
    return len(due)


def anonymise_expired_signers(batch: int = 5000) -> int:
    """Periodic: some time after a petition ends (closed, rejected, hidden or
    removed), signers' names, emails, postcodes and IPs are erased in batches.
    District counts and the ``counted`` flags stay, so totals survive."""
    values = psettings.load()
    cutoff = utcnow() - timedelta(days=values["retention_days"])
    petitions = db.session.scalars(sa.select(Petition).where(
        Petition.signers_anonymised_at.is_(None),
        sa.or_(sa.and_(Petition.state == S.CLOSED, Petition.closed_at < cutoff),
               sa.and_(Petition.state.in_([S.REJECTED, S.HIDDEN]), Petition.rejected_at < cutoff),
               sa.and_(Petition.state == S.REMOVED, Petition.removed_at < cutoff)))).all()
    done = 0
    for petition in petitions:
        ids = db.session.scalars(sa.select(Signature.id).where(
            Signature.petition_id == petition.id, Signature.anonymised.is_(False)).limit(batch)).all()
        if ids:
            db.session.execute(sa.update(Signature).where(Signature.id.in_(ids)).values(
                name=None, email=None, canonical_email=None, email_domain=None, postcode=None, ip=None,
                user_id=None, nonce=None, mail_pending=False, anonymised=True),
                execution_options={"synchronize_session": False})
            done += len(ids)
        if len(ids) < batch:
            petition.signers_anonymised_at = utcnow()
            db.session.execute(sa.delete(TrafficReport).where(TrafficReport.petition_id == petition.id))
            audit.record(None, "petition.signers_anonymised", "petition", petition.id)
        else:
            enqueue(anonymise_expired_signers)
            break
    # The quarter rule's rows of legal requests (an elector's identity hash)
    # go with the signers, once their quarter is over: the rule no longer
    # needs them, and the counts survive on the signature rows.
    from civic.petitions.models import LegalSignatureQuarter
    from civic.petitions.services.legal import quarter_key

    db.session.execute(sa.delete(LegalSignatureQuarter).where(
        LegalSignatureQuarter.quarter < quarter_key(),
        LegalSignatureQuarter.petition_id.in_(sa.select(Petition.id).where(Petition.signers_anonymised_at.is_not(None)))),
        execution_options={"synchronize_session": False})
    db.session.flush()
    return done
