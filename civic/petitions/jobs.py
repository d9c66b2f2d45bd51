"""Periodic jobs of the petitions module (registered in ``init_app``)."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import Role
from civic.core.jobs import register_periodic
from civic.core.outbox import deliver_messages
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.petitions import services
from civic.petitions import settings as psettings
from civic.petitions.models import Petition, Signature, SignatureSource, TrafficReport
from civic.petitions.tally import reconcile_counts, tally_signatures

# In a surge, one run every MAIL_PACE seconds at most: the runs then mail
# batches of hundreds instead of a handful each, so the queue's overhead per
# job stays small next to the mails. A lone signer is mailed at once.
MAIL_PACE = 0.25
MAIL_LAST_RUN_KEY = "civic:petitions:signature-mails:last-run"


def run_signature_mails(batch: int = 200) -> int:
    """Job: send every pending confirmation mail, batch by batch (each batch
    commits with its outbox rows, then is delivered by this job).

    The trigger flag is deleted before the pending rows are read (see
    ``services._trigger_signature_mails``); while this job waits for its pace,
    the flag is still set, so signers arriving meanwhile join this run.
    """
    from civic.core.redis import redis_client

    client = redis_client()
    if client is not None:
        try:
            last = client.get(MAIL_LAST_RUN_KEY)
            wait = float(last) + MAIL_PACE - time.time() if last else 0
            if wait > 0:
                time.sleep(min(wait, MAIL_PACE))
            client.delete(services.MAIL_TRIGGER_KEY)
        except Exception:  # Redis lost: mail what is pending now; the sweeper does the rest
            pass
    total = 0
    while True:
        n, mail_ids = services.queue_signature_mails(limit=batch, enqueue=False)
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
        for mod in services._people_with_role(Role.MODERATOR, None):
            services.queue_mail(mod.email, lambda: _("Petitions: unusual signing volume"), "petitions/traffic_report",
                       {"lines": lines, "hour": hour, "url": absolute_url("petitions.traffic")}, user=mod,
                       dedupe_key=f"ptraffic:{hour.isoformat()}:{mod.id}")
    return found


def register() -> None:
    from civic.petitions.settings import TALLY_SECONDS

    register_periodic("petitions.tally", tally_signatures, TALLY_SECONDS)
    register_periodic("petitions.reconcile", reconcile_counts, 86400)
    register_periodic("petitions.close", services.close_due_petitions, 60)
    register_periodic("petitions.signature_mails", services.sweep_signature_mails, 30)
    register_periodic("petitions.news_mails", services.sweep_news_mailings, 300)
    register_periodic("petitions.traffic_report", traffic_report, 3600)
    register_periodic("petitions.retention", services.anonymise_expired_signers, 86400)
