"""Reporting: anyone who may contribute reports an item they can see, once,
with a reason; enough reports from different people hide it pending review
and alert the moderators at once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from civic.core import audit, content, security
from civic.core.errors import ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import is_user, require, require_contributor
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db
from civic.moderation import permissions
from civic.moderation.models import CaseSource, CaseStatus, HoldCause, ModerationCase, Report, ReportReason
from civic.moderation.services.cases import open_case
from civic.moderation.services.common import insert_or_nothing, item_text, item_title, moderators_for, parse_reason
from civic.moderation.services.holds import add_hold
from civic.moderation.settings import auto_hide_threshold

MAX_DETAILS = 1000
REPORTS_PER_HOUR = 30


def reportable(actor, kind_name: str, object_id: int):
    """The ``(kind, item)`` the actor may report: visible to them, not theirs,
    and the actor may contribute (confirmed address, not blocked)."""
    require_contributor(actor)
    kind, obj = content.load(kind_name, object_id, actor)
    require(permissions.can_report_item(actor, kind, obj))
    return kind, obj


def _reports_limit_message(retry_after: int) -> str:
    return ngettext("You have sent %(limit)d reports in the last hour, the most one person can send. "
                    "You can report again in %(num)d minute; what you wrote is kept below.",
                    "You have sent %(limit)d reports in the last hour, the most one person can send. "
                    "You can report again in %(num)d minutes; what you wrote is kept below.",
                    security.wait_minutes(retry_after), limit=REPORTS_PER_HOUR)


def _rate_limit_reports(actor) -> None:
    # Counted once the report is valid (a mistyped form costs nothing) and
    # before any write of the transaction (see ``security.require_within``).
    security.require_within(f"moderation-report:{actor.id}", REPORTS_PER_HOUR, 3600, _reports_limit_message)


def report_content(actor, kind_name: str, object_id: int, reason, details: str | None = "") -> Report:
    """Report an item the actor can see, once, with a reason.

    When the item's open case reaches the auto-hide threshold of reports from
    distinct people, the item is hidden pending review and moderators are
    alerted at once.
    """
    kind, obj = reportable(actor, kind_name, object_id)
    code = parse_reason(reason)
    details = clean_text(details, multiline=True)
    if len(details) > MAX_DETAILS:
        raise ValidationError(fields={"details": _("Use at most %(n)d characters.", n=MAX_DETAILS)})
    if code == ReportReason.OTHER and not details:
        raise ValidationError(fields={"details": _("Say briefly what the problem is.")})
    already = db.session.scalar(sa.select(Report.id).where(
        Report.kind == kind_name, Report.object_id == object_id, Report.reporter_id == actor.id))
    if already:
        raise ValidationError(_("You have already reported this. Moderators will look at it."))
    _rate_limit_reports(actor)
    case = open_case(kind_name, object_id, kind, obj, CaseSource.REPORTS)
    now = utcnow()
    report_id = insert_or_nothing(Report, kind=kind_name, object_id=object_id, case_id=case.id,
                                  reporter_id=actor.id, reason=code, details=details or None, created_at=now)
    if report_id is None:  # the same person, twice at once: the unique constraint decided
        raise ValidationError(_("You have already reported this. Moderators will look at it."))
    report = db.session.get(Report, report_id)
    table = ModerationCase.__table__
    db.session.execute(table.update().where(table.c.id == case.id).values(
        report_count=table.c.report_count + 1,
        first_reported_at=sa.func.coalesce(table.c.first_reported_at, now)))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(Report.case_id == case.id))
    audit.record(actor, "moderation.reported", kind_name, object_id, reason=code.value, case_id=case.id)
    if count >= auto_hide_threshold() and case.source == CaseSource.REPORTS:
        # Conditional update: of several reports crossing the threshold at
        # once, one hides the item and alerts moderators.
        hidden = db.session.execute(table.update().where(
            table.c.id == case.id, table.c.hidden_at.is_(None), table.c.status == CaseStatus.OPEN
        ).values(hidden_at=now)).rowcount
        if hidden:
            add_hold(kind_name, object_id, HoldCause.REVIEW, case.id, now)
            audit.record(None, "moderation.auto_hidden", kind_name, object_id, reports=count, case_id=case.id)
            _alert_auto_hidden(case, kind, obj, count)
    db.session.expire(case)
    db.session.flush()
    return report


def _alert_auto_hidden(case: ModerationCase, kind, obj, count: int) -> None:
    url = absolute_url("moderation.case", case_id=case.id)
    title = item_title(kind, obj)
    for mod in moderators_for(case.district_id):
        queue_mail(mod.email, lambda: _("Hidden pending review: %(title)s", title=title[:200]),
                   "moderation/auto_hidden",
                   {"user": mod, "title": title, "kind_label": str(kind.label()), "count": count, "url": url,
                    "excerpt": item_text(kind, obj)[:500]},
                   user=mod, dedupe_key=f"moderation:auto-hidden:{case.id}:{mod.id}")


def has_reported(user, kind_name: str, object_id: int) -> datetime | None:
    """When ``user`` reported the item, or None."""
    if not is_user(user):
        return None
    return db.session.scalar(sa.select(Report.created_at).where(
        Report.kind == kind_name, Report.object_id == object_id, Report.reporter_id == user.id))
