"""Moderation jobs: the moderators' digest and the end of temporary blocks."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import content
from civic.core.errors import NotFound
from civic.core.outbox import queue_mail
from civic.core.permissions import is_moderator_for
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.moderation.models import (
    Appeal,
    AppealStatus,
    CaseSource,
    CaseStatus,
    Decision,
    DigestMarker,
    ModerationCase,
    Report,
)
from civic.moderation.services.blocks import ended_blocks, lift_block
from civic.moderation.services.common import insert_or_nothing, item_title, load_items, moderators_for
from civic.moderation.settings import digest_interval

DIGEST = "moderators"
DIGEST_TOPIC = "moderation-digest"
MAX_LISTED = 20


def _marker() -> DigestMarker:
    marker = db.session.get(DigestMarker, DIGEST)
    if marker is None:  # the first digest ever; two workers at once both find it made
        insert_or_nothing(DigestMarker, name=DIGEST, report_id_upto=0, case_id_upto=0, appeal_id_upto=0)
        marker = db.session.get(DigestMarker, DIGEST)
    return marker


def send_digest(force: bool = False) -> int:
    """Mail each moderator what arrived in their districts since the last
    digest: new reports, items waiting for pre-moderation, new appeals.

    Runs often (periodic) but sends at most once per the interval set by
    administrators. The watermarks are persisted with the outbox rows in one
    transaction, and each mail has a dedupe key: running twice sends nothing
    twice. Returns the number of mails queued.
    """
    marker = _marker()
    now = utcnow()
    interval = digest_interval()
    if not force and marker.sent_at is not None and marker.sent_at > now - interval:
        return 0
    reports = db.session.execute(
        sa.select(Report.id, ModerationCase.id, ModerationCase.kind, ModerationCase.object_id,
                  ModerationCase.district_id, ModerationCase.hidden_at)
        .join(ModerationCase, ModerationCase.id == Report.case_id)
        .where(Report.id > marker.report_id_upto, ModerationCase.status == CaseStatus.OPEN)
        .order_by(Report.id)).all()
    premod = db.session.execute(
        sa.select(ModerationCase.id, ModerationCase.kind, ModerationCase.object_id, ModerationCase.district_id)
        .where(ModerationCase.id > marker.case_id_upto, ModerationCase.source == CaseSource.PREMODERATION,
               ModerationCase.status == CaseStatus.OPEN).order_by(ModerationCase.id)).all()
    appeals = db.session.execute(
        sa.select(Appeal.id, Decision.district_id).join(Decision, Decision.id == Appeal.decision_id)
        .where(Appeal.id > marker.appeal_id_upto, Appeal.status == AppealStatus.PENDING)
        .order_by(Appeal.id)).all()
    max_report = db.session.scalar(sa.select(sa.func.max(Report.id))) or 0
    max_case = db.session.scalar(sa.select(sa.func.max(ModerationCase.id))) or 0
    max_appeal = db.session.scalar(sa.select(sa.func.max(Appeal.id))) or 0
    if not (reports or premod or appeals):
        marker.report_id_upto, marker.case_id_upto, marker.appeal_id_upto = max_report, max_case, max_appeal
        db.session.flush()
        return 0

    # Group new reports by case, remembering the district to filter per moderator.
    cases: dict[int, dict] = {}
    for _rid, case_id, kind, object_id, district_id, hidden_at in reports:
        entry = cases.setdefault(case_id, {"case_id": case_id, "kind": kind, "object_id": object_id,
                                           "district_id": district_id, "new_reports": 0,
                                           "hidden": hidden_at is not None})
        entry["new_reports"] += 1
    items = load_items([(c["kind"], c["object_id"]) for c in cases.values()]
                       + [(p.kind, p.object_id) for p in premod])

    def describe(kind_name, object_id, case_id):
        try:
            title = item_title(content.get_kind(kind_name), items.get((kind_name, object_id)))
        except NotFound:
            title = kind_name
        return {"title": title, "url": absolute_url("moderation.case", case_id=case_id)}

    recipients: dict[int, object] = {}
    for district_id in {c["district_id"] for c in cases.values()} | {p.district_id for p in premod} \
            | {a.district_id for a in appeals}:
        for mod in moderators_for(district_id):
            recipients[mod.id] = mod

    sent = 0
    key = f"{max_report}:{max_case}:{max_appeal}"
    for mod in recipients.values():
        mine = [c for c in cases.values() if is_moderator_for(mod, c["district_id"])]
        waiting = [p for p in premod if is_moderator_for(mod, p.district_id)]
        my_appeals = [a for a in appeals if is_moderator_for(mod, a.district_id)]
        if not (mine or waiting or my_appeals):
            continue
        mine.sort(key=lambda c: (not c["hidden"], -c["new_reports"]))
        listed = [dict(describe(c["kind"], c["object_id"], c["case_id"]), count=c["new_reports"], hidden=c["hidden"])
                  for c in mine[:MAX_LISTED]]
        premod_listed = [describe(p.kind, p.object_id, p.id) for p in waiting[:MAX_LISTED]]
        counts = {"reports": sum(c["new_reports"] for c in mine), "cases": len(mine),
                  "premoderated": len(waiting), "appeals": len(my_appeals)}
        msg = queue_mail(mod.email, lambda: _("Moderation: new reports to review"), "moderation/digest",
                         {"user": mod, "counts": counts, "listed": listed, "premoderated": premod_listed,
                          "more": max(0, len(mine) - MAX_LISTED),
                          "queue_url": absolute_url("moderation.queue")},
                         user=mod, topic=DIGEST_TOPIC, dedupe_key=f"moderation:digest:{mod.id}:{key}")
        if msg is not None:
            sent += 1
    marker.report_id_upto, marker.case_id_upto, marker.appeal_id_upto = max_report, max_case, max_appeal
    marker.sent_at = now
    db.session.flush()
    return sent


def digest_job() -> None:
    """Periodic entry point (checks the interval setting itself)."""
    send_digest()


def expire_blocks_job() -> int:
    """Periodic: lift blocks whose end has passed and restore what they hid.
    Idempotent: a block is lifted once (``lifted_at``). Returns how many."""
    return sum(1 for decision in ended_blocks() if lift_block(decision, None, None, expired=True))
