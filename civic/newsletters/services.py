"""Writing, testing and scheduling newsletters (the sending is ``sending.py``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import District
from civic.core import audit, sanitize
from civic.core import time as core_time
from civic.core.errors import NotFound, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import require
from civic.core.transitions import transition
from civic.extensions import db
from civic.newsletters import permissions, sending
from civic.newsletters.models import FLOW, Newsletter, Status

MAX_SUBJECT = 200
MAX_BODY = 20_000


def _clean(actor, subject: str, body: str, district_id: int | None) -> tuple[str, str]:
    errors = {}
    subject = sanitize.clean_text(subject)
    body = sanitize.clean_text(body, multiline=True)
    if not subject:
        errors["subject"] = _("Give the letter a subject.")
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = _("Use at most %(n)d characters.", n=MAX_SUBJECT)
    if not body:
        errors["body"] = _("Write the letter.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("Use at most %(n)d characters.", n=MAX_BODY)
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    elif not permissions.can_target(actor, district_id):
        errors["district_id"] = _("You can only write to the districts you serve.")
    if errors:
        raise ValidationError(fields=errors)
    return subject, body


def create_newsletter(actor, subject: str, body: str, district_id: int | None) -> Newsletter:
    """A draft letter, to every consenting resident or to one district's."""
    require(permissions.can_write_newsletters(actor))
    subject, body = _clean(actor, subject, body, district_id)
    letter = Newsletter(subject=subject, body_source=body, body_html=sanitize.render_markdown(body),
                        district_id=district_id, author_id=actor.id)
    db.session.add(letter)
    db.session.flush()
    audit.record(actor, "newsletter.created", "newsletter", letter.id)
    return letter


def update_newsletter(actor, letter: Newsletter, subject: str, body: str, district_id: int | None) -> None:
    """Change a letter not yet being sent."""
    require(permissions.can_edit_newsletter(actor, letter))
    subject, body = _clean(actor, subject, body, district_id)
    letter.subject, letter.body_source, letter.district_id = subject, body, district_id
    letter.body_html = sanitize.render_markdown(body)
    letter.updated_at = core_time.utcnow()
    audit.record(actor, "newsletter.updated", "newsletter", letter.id)


def send_test(actor, letter: Newsletter) -> None:
    """Mail the letter, as residents will get it, to its author only."""
    require(permissions.can_manage_newsletter(actor, letter))
    if not actor.email:
        raise ValidationError(_("Your account has no email address."))
    queue_mail(actor.email, lambda: _("[Test] %(subject)s", subject=letter.subject), sending.TEMPLATE,
               sending.mail_context(letter, test=True), user=actor)
    audit.record(actor, "newsletter.tested", "newsletter", letter.id)


def schedule(actor, letter: Newsletter, when: datetime | None) -> None:
    """Send at ``when`` (UTC; None or past: at the next run of the sender, within a minute)."""
    require(permissions.can_edit_newsletter(actor, letter))
    now = core_time.utcnow()
    if when is not None and when < now:
        raise ValidationError(fields={"send_at": _("Choose a moment in the future, or leave it empty to send now.")})
    letter.scheduled_at = when or now
    transition(letter, FLOW, Status.SCHEDULED, actor, "newsletter.scheduled", attr="status",
               when=letter.scheduled_at.isoformat())


def unschedule(actor, letter: Newsletter) -> None:
    """Back to draft, while no batch has been queued."""
    require(permissions.can_edit_newsletter(actor, letter))
    transition(letter, FLOW, Status.DRAFT, actor, "newsletter.unscheduled", attr="status",
               message=_("The sending has started: it can no longer be stopped."))
    letter.scheduled_at = None


def get(letter_id: int, actor) -> Newsletter:
    letter = db.session.get(Newsletter, letter_id)
    if letter is None or not permissions.can_view_newsletter(actor, letter):
        raise NotFound()
    return letter


def archive(page: int, per_page: int = 20) -> tuple[list[Newsletter], bool]:
    """Sent letters, newest first (the public archive)."""
    rows = list(db.session.scalars(sa.select(Newsletter).where(Newsletter.status == Status.SENT)
                                   .order_by(Newsletter.sent_at.desc(), Newsletter.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def managed(actor, page: int, per_page: int = 20) -> tuple[list[Newsletter], bool]:
    """Letters this person may manage, newest first."""
    require(permissions.can_write_newsletters(actor))
    q = sa.select(Newsletter).order_by(Newsletter.created_at.desc(), Newsletter.id.desc())
    districts = actor.role_districts("official")
    if districts is not None:
        q = q.where(Newsletter.district_id.in_(districts))
    rows = list(db.session.scalars(q.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def audience_size(letter: Newsletter) -> int:
    return sending.audience_count(letter)
