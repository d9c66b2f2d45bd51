"""The official follow-up of a closed consultation: "what we heard", the
decisions and the contributions that led to them, "what happens next"; and
what the city owes (the accountability hook)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from civic.core import audit, content, events
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import local_day, utcnow
from civic.extensions import db

from .. import jobs, permissions
from ..models import Consultation, FollowupDecision, FollowupLink, FollowupStep, Outcome, Status


def _require_followup_editable(actor, c: Consultation) -> None:
    require(permissions.can_manage_consultation(actor, c))
    if c.status != Status.CLOSED:
        raise InvalidTransition(_("The follow-up is written once the consultation is closed."))
    if c.followup_published_at is not None:
        raise InvalidTransition(_("The follow-up is published and can no longer be changed."))


def _find_decision(c: Consultation, decision_id: int) -> FollowupDecision:
    d = next((d for d in c.decisions if d.id == decision_id), None)
    if d is None:
        raise NotFound()
    return d


def _parse_day(value: str) -> date | None:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


MAX_STEPS = 30


def _parse_steps(rows) -> list[FollowupStep]:
    """The next steps from rows ``{"date": ..., "text": ...}`` (a date or its
    text, 2026-09-01 or 01/09/2026). Blank rows are skipped; a message names
    the row's input, ``next_steps-<index>-date`` or ``-text``, the index being
    the row's place in ``rows``."""
    errors, steps = {}, []
    for i, row in enumerate(rows or ()):
        raw_day, text = row.get("date"), clean_text(str(row.get("text") or ""))
        if isinstance(raw_day, date):
            day = raw_day
        else:
            raw_day = str(raw_day or "").strip()
            day = _parse_day(raw_day) if raw_day else None
            if not raw_day and not text:
                continue
            if day is None:
                errors[f"next_steps-{i}-date"] = (
                    _("Enter the date, for example 2026-09-01.") if not raw_day
                    else _("This is not a date: write it as 2026-09-01 or 01/09/2026."))
        if not text:
            errors[f"next_steps-{i}-text"] = _("Say what happens on this date.")
        elif len(text) > 500:
            errors[f"next_steps-{i}-text"] = _("Keep it to %(n)d characters at most.", n=500)
        if day is not None and text:
            steps.append(FollowupStep(due_on=day, text=text))
    if not errors and len(steps) > MAX_STEPS:
        errors["next_steps"] = _("Give at most %(n)d steps.", n=MAX_STEPS)
    if errors:
        raise ValidationError(fields=errors)
    return steps


def save_followup(actor, c: Consultation, *, heard: str, next_steps=()) -> None:
    """Save the draft of "what we heard" and "what happens next".

    ``next_steps``: rows ``{"date": date or "2026-09-01", "text": "what happens"}``,
    shown by date; messages name the row (``next_steps-1-date``).
    """
    _require_followup_editable(actor, c)
    steps = _parse_steps(next_steps)
    c.heard_md = clean_text(heard, multiline=True)
    c.heard_html = render_markdown(heard)
    c.next_steps = steps
    db.session.flush()
    audit.record(actor, "consultation.followup_saved", "consultation", c.id)


def next_steps_rows(c: Consultation) -> list[dict]:
    """The next steps as the editor's rows, by date."""
    return [{"date": s.due_on.isoformat(), "text": s.text} for s in c.next_steps]


def add_decision(actor, c: Consultation, *, title: str, text: str = "", question_id: int | None = None) -> FollowupDecision:
    """Add a decision to the follow-up draft."""
    _require_followup_editable(actor, c)
    title = clean_text(title)
    if not title:
        raise ValidationError(fields={"title": _("Say what was decided.")})
    if question_id is not None and question_id not in {q.id for q in c.questions}:
        raise ValidationError(fields={"question_id": _("Choose a question from the list.")})
    d = FollowupDecision(consultation=c, position=max((x.position for x in c.decisions), default=0) + 1,
                         title=title[:300], text_html=render_markdown(text), question_id=question_id)
    db.session.add(d)
    db.session.flush()
    audit.record(actor, "consultation.decision_added", "consultation", c.id, decision=d.id)
    return d


def remove_decision(actor, c: Consultation, decision_id: int) -> None:
    """Remove a decision from the follow-up draft."""
    _require_followup_editable(actor, c)
    d = _find_decision(c, decision_id)
    c.decisions.remove(d)
    db.session.flush()
    audit.record(actor, "consultation.decision_removed", "consultation", c.id, decision=decision_id)


def link_contribution(actor, c: Consultation, decision_id: int, *, kind: str, object_id: int | None,
                      outcome: str, reason: str) -> FollowupLink:
    """Say that a contribution (any registered kind) led to a decision, and
    what became of it. Its author is told when the follow-up is published."""
    _require_followup_editable(actor, c)
    d = _find_decision(c, decision_id)
    errors = {}
    reason = clean_text(reason, multiline=True)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        errors["outcome"] = _("Choose what became of the contribution.")
    if not reason:
        errors["reason"] = _("Give the reason: people deserve to know why.")
    if object_id is None:
        errors["object_id"] = _("Enter the number of the contribution.")
    else:
        try:
            content.load(kind, object_id, check_visible=False)
        except NotFound:
            errors["object_id"] = _("There is no such contribution.")
        if kind == "consultation" and object_id == c.id:
            errors["object_id"] = _("Link a contribution, not this consultation itself.")
    if not errors and any(link.kind == kind and link.object_id == object_id for link in d.links):
        errors["object_id"] = _("This contribution is already linked to the decision.")
    if errors:
        raise ValidationError(fields=errors)
    link = FollowupLink(decision=d, kind=kind, object_id=object_id, outcome=outcome, reason=reason[:2000])
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "consultation.contribution_linked", "consultation", c.id, decision=d.id, linked_kind=kind,
                 linked_id=object_id, outcome=outcome.value)
    return link


def publish_followup(actor, c: Consultation) -> None:
    """Publish the official follow-up; participants who asked, followers and
    the authors of linked contributions are mailed (by a job)."""
    _require_followup_editable(actor, c)
    errors = []
    if c.results_computed_at is None:
        errors.append(_("The results are not computed yet: wait a moment and try again."))
    if not c.heard_md:
        errors.append(_("Write “what we heard” first."))
    if not c.decisions:
        errors.append(_("Add at least one decision first."))
    if errors:
        raise ValidationError(" ".join(errors))
    c.followup_published_at = utcnow()
    db.session.flush()
    audit.record(actor, "consultation.followup_published", "consultation", c.id,
                 late_days=late_days(due_instant(c), c.followup_published_at))
    enqueue(jobs.notify_participants, c.id, "followup")
    enqueue(jobs.notify_contributors, c.id)
    events.emit("consultation", c.id, "followup_published", actor_id=actor.id)


def contribution_ref(link: FollowupLink, user=None) -> dict | None:
    """Label, title and address of a linked contribution, if the viewer may see it."""
    try:
        kind = content.get_kind(link.kind)
    except NotFound:
        return None
    obj = db.session.get(kind.model, link.object_id)
    if obj is None or not kind.can_view(user, obj):
        return None
    return {"label": kind.label(), "title": kind.title(obj), "url": kind.url(obj)}


# --- what the city owes -----------------------------------------------------------------

def due_instant(c: Consultation) -> datetime:
    """The last instant of the promised day (results_due_at is its exclusive end)."""
    return c.results_due_at - timedelta(seconds=1)


def late_days(due_at: datetime, at: datetime) -> int:
    """Days late in the site's calendar: 0 when on time, at least 1 when late."""
    if at <= due_at:
        return 0
    return max(1, (local_day(at) - local_day(due_at)).days)


def owed_answers() -> list[dict]:
    """Every consultation past its closing date owes results and a follow-up
    (the accountability hook)."""
    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status != Status.DRAFT, Consultation.hidden.is_(False), Consultation.closes_at <= now)).all()
    return [{"kind": "consultation", "id": c.id, "title": c.title,
             "url": url_for("consultations.detail", consultation_id=c.id), "district_id": c.district_id,
             "owed_since": c.closes_at, "due_at": due_instant(c),
             "answered_at": c.followup_published_at}
            for c in rows]
