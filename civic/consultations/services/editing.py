"""Drafting, publishing and closing a consultation (officials)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import District
from civic.core import audit, content
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import OFFICIAL, districts_of, require
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import end_of_day, start_of_day, utcnow
from civic.core.transitions import allowed, transition
from civic.extensions import db

from .. import jobs, permissions
from ..models import FLOW, Consultation, ConsultationChoice, ConsultationQuestion, Eligibility, QuestionKind, Status


def get_consultation(consultation_id: int, user=None) -> Consultation:
    """The consultation if ``user`` may see it, else NotFound (drafts and
    hidden ones are not revealed)."""
    c = db.session.get(Consultation, consultation_id)
    if c is None or not permissions.can_view_consultation(user, c):
        raise NotFound()
    return c


def drafts_of(user, limit: int = 50) -> list[Consultation]:
    """The drafts ``user`` may manage (none for who may not draft), newest first."""
    if not permissions.can_draft_consultations(user):
        return []
    stmt = sa.select(Consultation).where(Consultation.status == Status.DRAFT)
    scope = districts_of(user, OFFICIAL)
    if scope is not None:
        stmt = stmt.where(Consultation.district_id.in_(scope))
    return db.session.scalars(stmt.order_by(Consultation.id.desc()).limit(limit)).all()


def _require_manager(actor, c: Consultation) -> None:
    require(permissions.can_manage_consultation(actor, c))


def _require_draft(c: Consultation, message: str) -> None:
    """Questions and details change only while the consultation is a draft."""
    if c.status != Status.DRAFT:
        raise InvalidTransition(message)


# --- details ---------------------------------------------------------------------

MAX_DOCUMENTS = 30


def _parse_documents(rows) -> list[dict]:
    """The documents from rows ``{"title": ..., "url": ...}``: links, http or
    https only; the title defaults to the address. Blank rows are skipped;
    a message names the row's input (``documents-<index>-url``)."""
    errors, docs = {}, []
    for i, row in enumerate(rows or ()):
        title, url = clean_text(str(row.get("title") or "")), str(row.get("url") or "").strip()
        if not title and not url:
            continue
        parts = urlsplit(url) if url else None
        if not url:
            errors[f"documents-{i}-url"] = _("Enter the address of the document.")
        elif (parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", url)
              or len(url) > 500):
            errors[f"documents-{i}-url"] = _("Enter an address starting with https:// (or http://).")
        if len(title) > 200:
            errors[f"documents-{i}-title"] = _("Keep it to %(n)d characters at most.", n=200)
        docs.append({"title": title or url, "url": url})
    if not errors and len(docs) > MAX_DOCUMENTS:
        errors["documents"] = _("Give at most %(n)d documents.", n=MAX_DOCUMENTS)
    if errors:
        raise ValidationError(fields=errors)
    return docs


def documents_rows(c: Consultation) -> list[dict]:
    """The documents as the editor's rows."""
    return [{"title": d.get("title", ""), "url": d.get("url", "")} for d in c.documents or []]


def _apply_details(c: Consultation, *, title, context, documents, district_id, eligibility, district_ids,
                   opens_on, closes_on, results_due_on, free_text_private) -> None:
    errors = {}
    title = clean_text(title)
    if not title:
        errors["title"] = _("Give the consultation a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep it to %(n)d characters at most.", n=200)
    try:
        eligibility = Eligibility(eligibility)
    except ValueError:
        errors["eligibility"] = _("Choose who may answer.")
    districts = []
    if district_ids:
        districts = db.session.scalars(sa.select(District).where(District.id.in_(district_ids))).all()
    if eligibility == Eligibility.DISTRICTS and not districts:
        errors["district_ids"] = _("Choose at least one district whose residents may answer.")
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    if not opens_on:
        errors["opens_on"] = _("Enter the opening date.")
    if not closes_on:
        errors["closes_on"] = _("Enter the closing date.")
    elif opens_on and closes_on < opens_on:
        errors["closes_on"] = _("The consultation must close on or after the day it opens.")
    if not results_due_on:
        errors["results_due_on"] = _("Enter the date by which results and the follow-up will be published.")
    elif closes_on and results_due_on < closes_on:
        errors["results_due_on"] = _("Results can only be due after the consultation closes.")
    try:
        docs = _parse_documents(documents)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    c.title = title
    c.context_md = clean_text(context, multiline=True)
    c.context_html = render_markdown(context)
    c.documents = docs
    c.district_id = district_id
    c.eligibility = eligibility
    c.districts = list(districts) if eligibility == Eligibility.DISTRICTS else []
    # Local days of the site's calendar: opens at local midnight, closes (and
    # results are due) at the end of the local day, whatever the UTC offset.
    c.opens_at = start_of_day(opens_on)
    c.closes_at = end_of_day(closes_on)
    c.results_due_at = end_of_day(results_due_on)
    c.free_text_private = bool(free_text_private)


def create_consultation(actor, *, title: str, context: str = "", documents=(), district_id: int | None = None,
                        eligibility: str = Eligibility.CONFIRMED_EMAIL, district_ids=(), opens_on: date | None = None,
                        closes_on: date | None = None, results_due_on: date | None = None,
                        free_text_private: bool = False) -> Consultation:
    """An official drafts a consultation (questions are added before publishing).

    ``documents``: rows ``{"title": ..., "url": "https://..."}``."""
    require(permissions.can_create_consultation(actor, district_id))
    c = Consultation(author_id=actor.id, status=Status.DRAFT)
    _apply_details(c, title=title, context=context, documents=documents, district_id=district_id,
                   eligibility=eligibility, district_ids=district_ids, opens_on=opens_on, closes_on=closes_on,
                   results_due_on=results_due_on, free_text_private=free_text_private)
    db.session.add(c)
    db.session.flush()
    audit.record(actor, "consultation.created", "consultation", c.id)
    content.created("consultation", c, actor)
    return c


def update_consultation(actor, c: Consultation, **details) -> Consultation:
    """Change a draft's details. Once published, the rules of the game stay put."""
    _require_manager(actor, c)
    _require_draft(c, _("A published consultation can no longer be changed."))
    require(permissions.can_create_consultation(actor, details.get("district_id")))
    _apply_details(c, **details)
    db.session.flush()
    audit.record(actor, "consultation.updated", "consultation", c.id)
    return c


# --- questions -------------------------------------------------------------------

def add_question(actor, c: Consultation, *, kind: str, prompt: str, help_text: str = "", required: bool = True,
                 max_choices: int | None = None, allow_other: bool = False, choices=()) -> ConsultationQuestion:
    """Add a question to a draft. Choices are one label per item."""
    _require_manager(actor, c)
    _require_draft(c, _("Questions can only be changed while the consultation is a draft."))
    errors = {}
    try:
        kind = QuestionKind(kind)
    except ValueError:
        errors["kind"] = _("Choose a type of question.")
    prompt = clean_text(prompt)
    if not prompt:
        errors["prompt"] = _("Write the question.")
    elif len(prompt) > 500:
        errors["prompt"] = _("Keep it to %(n)d characters at most.", n=500)
    labels = [clean_text(x)[:300] for x in choices if clean_text(x)]
    if len(set(labels)) != len(labels):
        errors["choices"] = _("Each option must be different.")
    with_options = kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)
    if with_options and len(labels) < 2:
        errors["choices"] = _("Give at least two options, one per line.")
    if with_options and len(labels) > 30:
        errors["choices"] = _("Give at most 30 options.")
    if kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
        if max_choices is not None and (max_choices < 1 or max_choices > max(len(labels), 1)):
            errors["max_choices"] = _("Choose a number between 1 and the number of options.")
        max_choices = max_choices or len(labels)
    else:
        max_choices = None
    if errors:
        raise ValidationError(fields=errors)
    position = max((q.position for q in c.questions), default=0) + 1
    q = ConsultationQuestion(
        consultation=c, position=position, kind=kind, prompt=prompt, help_text=clean_text(help_text)[:1000],
        required=bool(required), max_choices=max_choices,
        allow_other=bool(allow_other) and kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE),
        choices=[ConsultationChoice(position=i, label=label) for i, label in enumerate(labels if with_options else [], 1)])
    db.session.add(q)
    db.session.flush()
    audit.record(actor, "consultation.question_added", "consultation", c.id, question=q.id)
    return q


def remove_question(actor, c: Consultation, question_id: int) -> None:
    """Remove a question from a draft; the others keep their order."""
    _require_manager(actor, c)
    _require_draft(c, _("Questions can only be changed while the consultation is a draft."))
    q = next((q for q in c.questions if q.id == question_id), None)
    if q is None:
        raise NotFound()
    c.questions.remove(q)
    db.session.flush()
    # Keep positions dense so the next question goes at the end.
    for i, other in enumerate(sorted(c.questions, key=lambda x: x.position), 1):
        other.position = -i
    db.session.flush()
    for other in c.questions:
        other.position = -other.position
    db.session.flush()
    audit.record(actor, "consultation.question_removed", "consultation", c.id, question=question_id)


# --- the flow: draft -> published -> closed ------------------------------------------

def publish_consultation(actor, c: Consultation) -> None:
    """Draft -> published: visible now, open for answers from the opening date."""
    _require_manager(actor, c)
    # The content is checked only when the move is possible: a consultation
    # published meanwhile is a conflict (409, from transition), not an error
    # in its questions or dates.
    if allowed(FLOW, c.status, Status.PUBLISHED):
        if not c.questions:
            raise ValidationError(_("Add at least one question before publishing."))
        if c.closes_at <= utcnow():
            raise ValidationError(_("The closing date has passed: change the dates before publishing."))
    transition(c, FLOW, Status.PUBLISHED, actor, "consultation.published", attr="status", stamp="published_at")
    db.session.flush()


def close_consultation(actor, c: Consultation, reason: str = "") -> None:
    """An official closes a consultation now (before its date, with a reason);
    the results job runs after the commit."""
    _require_manager(actor, c)
    reason = clean_text(reason)
    if c.status == Status.PUBLISHED and c.closes_at > utcnow() and not reason:
        raise ValidationError(fields={"reason": _("Say why the consultation closes before its date.")})
    transition(c, FLOW, Status.CLOSED, actor, "consultation.closed", attr="status", reason=reason or None)
    c.stop_answering(utcnow())
    db.session.flush()
    enqueue(jobs.compute_results, c.id)
