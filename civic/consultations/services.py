"""Consultation services: the only writers of consultations, answers, results
and follow-ups.

Every function takes the actor as an argument, checks permission first,
validates, changes the models, writes the audit entry and outbox rows, and
flushes; the caller (view, job, CLI) commits once.

Anonymity rules kept here (see models.py): answering writes a ConsultationParticipation
(who, which day) and a AnonymousResponse (what, with a district) that share nothing the
database could join on; the audit log and the outbox only ever mention the
participation side; the edit code is never mailed (the outbox stores mail
bodies next to the address, which would link the person to the response).
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts.models import District, Role, User
from civic.core import audit, content
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.jobs import enqueue
from civic.core.outbox import queue_mail
from civic.core.permissions import is_user, require_contributor, require_login, require_role
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import end_of_day, last_day, local_day, start_of_day, today, utcnow  # noqa: F401 (services.today() is used by callers)
from civic.core.urls import absolute_url
from civic.extensions import db

from .models import (
    AnonymousResponse,
    Consultation,
    ConsultationChoice,
    ConsultationParticipation,
    ConsultationQuestion,
    Eligibility,
    FollowupDecision,
    FollowupLink,
    FollowupStep,
    FreeTextAnswer,
    Outcome,
    QuestionKind,
    Review,
    Status,
)

# Breakdowns by district are published only for groups of at least K answers:
# below that, a group's answers could point at a handful of neighbours.
K_ANONYMITY = 10
SCALE_POINTS = 5
MAX_TEXT = 2000
MAX_OTHER = 300
# Edit codes: 16 characters from an alphabet without look-alikes (80 bits).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16

SCALE_LABELS = {
    1: _l("Strongly disagree"), 2: _l("Disagree"), 3: _l("Neither agree nor disagree"),
    4: _l("Agree"), 5: _l("Strongly agree"),
}
KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"), QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.RANKING: _l("Ranking"), QuestionKind.SCALE: _l("Agreement scale (5 points)"),
    QuestionKind.TEXT: _l("Short free text"),
}
OUTCOME_LABELS = {
    Outcome.ADOPTED: _l("Adopted"), Outcome.PARTLY: _l("Partly adopted"), Outcome.NOT_ADOPTED: _l("Not adopted"),
}
ELIGIBILITY_LABELS = {
    Eligibility.CONFIRMED_EMAIL: _l("Anyone with a confirmed email address"),
    Eligibility.RESIDENTS: _l("Verified residents of the city"),
    Eligibility.DISTRICTS: _l("Verified residents of the chosen districts"),
}


# --- permissions ---------------------------------------------------------------

def can_manage(user, c: Consultation) -> bool:
    return is_user(user) and user.has_role(Role.OFFICIAL, c.district_id)


def can_moderate(user, c: Consultation) -> bool:
    return is_user(user) and user.has_role(Role.MODERATOR, c.district_id)


def can_record_paper(user, c: Consultation) -> bool:
    return is_user(user) and user.has_role(Role.MEDIATOR, c.district_id)


def can_view(user, c: Consultation) -> bool:
    if c.status == Status.DRAFT:
        return can_manage(user, c)
    if c.hidden:
        return can_manage(user, c) or can_moderate(user, c)
    return True


def get_consultation(consultation_id: int, user=None) -> Consultation:
    c = db.session.get(Consultation, consultation_id)
    if c is None or not can_view(user, c):
        raise NotFound()
    return c


def _require_manager(actor, c: Consultation) -> None:
    require_role(actor, Role.OFFICIAL, c.district_id)


# --- creating and editing --------------------------------------------------------

def _parse_documents(raw: str) -> list[dict]:
    """One document per line: ``Title | https://...`` (or just the address)."""
    docs = []
    for n, line in enumerate((raw or "").splitlines(), 1):
        line = clean_text(line)
        if not line:
            continue
        title, sep, url = line.rpartition("|")
        if not sep:
            title, url = line, line
        title, url = clean_text(title) or url.strip(), url.strip()
        if not re.match(r"^https?://[^\s]+$", url):
            raise ValidationError(fields={"documents": _(
                "Line %(n)d: give a title, a vertical bar, then an address starting with https://.", n=n)})
        docs.append({"title": title[:200], "url": url[:500]})
    return docs


def documents_text(c: Consultation) -> str:
    return "\n".join(f"{d['title']} | {d['url']}" for d in c.documents or [])


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
    c.opens_at = start_of_day(opens_on)
    c.closes_at = end_of_day(closes_on)
    c.results_due_at = end_of_day(results_due_on)
    c.free_text_private = bool(free_text_private)


def create_consultation(actor, *, title: str, context: str = "", documents: str = "", district_id: int | None = None,
                        eligibility: str = Eligibility.CONFIRMED_EMAIL, district_ids=(), opens_on: date | None = None,
                        closes_on: date | None = None, results_due_on: date | None = None,
                        free_text_private: bool = False) -> Consultation:
    """An official drafts a consultation (questions are added before publishing)."""
    require_role(actor, Role.OFFICIAL, district_id)
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
    if c.status != Status.DRAFT:
        raise InvalidTransition(_("A published consultation can no longer be changed."))
    require_role(actor, Role.OFFICIAL, details.get("district_id"))
    _apply_details(c, **details)
    db.session.flush()
    audit.record(actor, "consultation.updated", "consultation", c.id)
    return c


def add_question(actor, c: Consultation, *, kind: str, prompt: str, help_text: str = "", required: bool = True,
                 max_choices: int | None = None, allow_other: bool = False, choices=()) -> ConsultationQuestion:
    """Add a question to a draft. Choices are one label per item."""
    _require_manager(actor, c)
    if c.status != Status.DRAFT:
        raise InvalidTransition(_("Questions can only be changed while the consultation is a draft."))
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
    q = ConsultationQuestion(consultation=c, position=position, kind=kind, prompt=prompt,
                 help_text=clean_text(help_text)[:1000], required=bool(required), max_choices=max_choices,
                 allow_other=bool(allow_other) and kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE),
                 choices=[ConsultationChoice(position=i, label=label) for i, label in enumerate(labels if with_options else [], 1)])
    db.session.add(q)
    db.session.flush()
    audit.record(actor, "consultation.question_added", "consultation", c.id, question=q.id)
    return q


def remove_question(actor, c: Consultation, question_id: int) -> None:
    _require_manager(actor, c)
    if c.status != Status.DRAFT:
        raise InvalidTransition(_("Questions can only be changed while the consultation is a draft."))
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


def publish_consultation(actor, c: Consultation) -> None:
    """Draft -> published: visible now, open for answers from the opening date."""
    _require_manager(actor, c)
    if c.status != Status.DRAFT:
        raise InvalidTransition()
    if not c.questions:
        raise ValidationError(_("Add at least one question before publishing."))
    if c.closes_at <= utcnow():
        raise ValidationError(_("The closing date has passed: change the dates before publishing."))
    c.status = Status.PUBLISHED
    c.published_at = utcnow()
    db.session.flush()
    audit.record(actor, "consultation.published", "consultation", c.id)


def _close(c: Consultation, actor, reason: str | None) -> None:
    if c.status != Status.PUBLISHED:
        raise InvalidTransition()
    now = utcnow()
    c.status = Status.CLOSED
    c.closed_at = now
    if c.closes_at > now:
        c.closes_at = now
        if c.opens_at >= now:
            c.opens_at = now - timedelta(seconds=1)
    db.session.flush()
    audit.record(actor, "consultation.closed", "consultation", c.id, reason=reason)
    from .jobs import compute_results

    enqueue(compute_results, c.id)


def close_consultation(actor, c: Consultation, reason: str = "") -> None:
    """An official closes a consultation now (before its date, with a reason)."""
    _require_manager(actor, c)
    reason = clean_text(reason)
    if c.status == Status.PUBLISHED and c.closes_at > utcnow() and not reason:
        raise ValidationError(fields={"reason": _("Say why the consultation closes before its date.")})
    _close(c, actor, reason or None)


def close_due_consultations(now: datetime | None = None) -> int:
    """Periodic job: close what reached its closing date; compute missing results."""
    now = now or utcnow()
    due = db.session.scalars(sa.select(Consultation).where(
        Consultation.status == Status.PUBLISHED, Consultation.closes_at <= now)).all()
    for c in due:
        _close(c, None, None)
    # A results job lost with Redis is caught up here.
    from .jobs import compute_results

    for cid in db.session.scalars(sa.select(Consultation.id).where(
            Consultation.status == Status.CLOSED, Consultation.results_computed_at.is_(None))).all():
        enqueue(compute_results, cid)
    return len(due)


# --- eligibility -------------------------------------------------------------------

def respondent_district_id(user: User) -> int | None:
    """The district stored with a response: verified, else declared."""
    return user.verified_district_id() or user.district_id


def eligibility_problem(user, c: Consultation) -> str | None:
    """Why ``user`` may not answer ``c`` now (None if they may)."""
    if not c.is_open():
        return _("This consultation is not open for answers.")
    if not is_user(user):
        return _("Please log in to answer.")
    try:
        require_contributor(user)  # confirmed address, not blocked: the platform's own wording
    except PermissionDenied as err:
        return err.message
    return _district_problem(user, c)


def _district_problem(user, c: Consultation) -> str | None:
    if c.eligibility == Eligibility.RESIDENTS and user.verified_district_id() is None:
        return _("Only verified residents may answer. You can get verified from your account page or at a "
                 "town-hall counter.")
    if c.eligibility == Eligibility.DISTRICTS:
        allowed = {d.id for d in c.districts}
        if user.verified_district_id() not in allowed:
            return _("Only verified residents of %(districts)s may answer.",
                     districts=", ".join(d.name for d in c.districts))
    return None


def has_answered(user, c: Consultation) -> bool:
    if not is_user(user):
        return False
    return db.session.scalar(sa.select(ConsultationParticipation.id).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.user_id == user.id)) is not None


# --- answers ------------------------------------------------------------------------

def parse_answers(c: Consultation, form) -> tuple[dict, dict]:
    """Read answers from form fields (``get``/``getlist``), leniently.

    Returns ``(answers, errors)``: answers keep what could be understood so the
    form comes back filled in; errors are keyed by the id of the question's
    first input (``q<id>``) or of its "other" field.
    """
    answers, errors = {}, {}
    for q in c.questions:
        key = f"q{q.id}"
        ids = {str(ch.id): ch.id for ch in q.choices}
        entry: dict = {}
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            raw = form.getlist(key) if q.kind == QuestionKind.MULTIPLE else [form.get(key) or ""]
            chosen = [ids[v] for v in raw if v in ids]
            chosen = list(dict.fromkeys(chosen))
            other = clean_text(form.get(f"{key}_other"))[:MAX_OTHER] if q.allow_other else ""
            other_ticked = q.allow_other and "other" in raw
            if chosen:
                entry["choices"] = chosen
            if other_ticked:
                entry["other"] = other
            if other_ticked and not other:
                errors[f"{key}_other"] = _("Say what your other answer is, or untick “Other”.")
            if q.kind == QuestionKind.SINGLE and len(chosen) + other_ticked > 1:
                errors[key] = _("Choose only one answer.")
            count = len(chosen) + (1 if other_ticked else 0)
            if q.kind == QuestionKind.MULTIPLE and q.max_choices and count > q.max_choices:
                errors[key] = _("Choose at most %(n)d answers.", n=q.max_choices)
            if q.required and count == 0:
                errors[key] = _("Answer this question.")
        elif q.kind == QuestionKind.RANKING:
            ranks = {}
            bad = False
            for ch in q.choices:
                raw = (form.get(f"{key}_c{ch.id}") or "").strip()
                if not raw:
                    continue
                if not raw.isdigit() or not 1 <= int(raw) <= (q.max_choices or len(q.choices)):
                    bad = True
                    continue
                ranks[ch.id] = int(raw)
            ordered = sorted(ranks, key=lambda cid: ranks[cid])
            if ordered:
                entry["choices"] = ordered
            values = sorted(ranks.values())
            if bad:
                errors[key] = _("Use only the places offered in the lists.")
            elif len(set(values)) != len(values):
                errors[key] = _("Give each place to only one option.")
            elif values and values != list(range(1, len(values) + 1)):
                errors[key] = _("Use places in order, from 1, without gaps.")
            elif q.required and not values:
                errors[key] = _("Rank at least one option.")
            if errors.get(key):
                entry["ranks"] = {str(cid): r for cid, r in ranks.items()}
        elif q.kind == QuestionKind.SCALE:
            raw = form.get(key) or ""
            if raw.isdigit() and 1 <= int(raw) <= SCALE_POINTS:
                entry["value"] = int(raw)
            elif raw:
                errors[key] = _("Choose one of the points of the scale.")
            if q.required and "value" not in entry and key not in errors:
                errors[key] = _("Answer this question.")
        else:
            text = clean_text(form.get(key), multiline=True)
            if text:
                entry["text"] = text[:MAX_TEXT]
            if len(text) > MAX_TEXT:
                errors[key] = _("Keep it to %(n)d characters at most.", n=MAX_TEXT)
            if q.required and not text:
                errors[key] = _("Answer this question.")
        if entry:
            answers[str(q.id)] = entry
    return answers, errors


def answer_fields(c: Consultation, answers: dict) -> list[tuple[str, str]]:
    """The form fields that carry ``answers`` (hidden inputs of the summary page)."""
    fields = []
    for q in c.questions:
        a = answers.get(str(q.id)) or {}
        key = f"q{q.id}"
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            fields += [(key, str(cid)) for cid in a.get("choices", [])]
            if "other" in a:
                fields += [(key, "other"), (f"{key}_other", a["other"])]
        elif q.kind == QuestionKind.RANKING:
            fields += [(f"{key}_c{cid}", str(rank)) for rank, cid in enumerate(a.get("choices", []), 1)]
        elif q.kind == QuestionKind.SCALE and "value" in a:
            fields.append((key, str(a["value"])))
        elif "text" in a:
            fields.append((key, a["text"]))
    return fields


def describe_answer(q: ConsultationQuestion, a: dict | None) -> list[str]:
    """Human-readable lines for one answer (summary page)."""
    if not a:
        return []
    labels = {ch.id: ch.label for ch in q.choices}
    if q.kind == QuestionKind.RANKING:
        return [f"{rank}. {labels.get(cid, '?')}" for rank, cid in enumerate(a.get("choices", []), 1)]
    if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        lines = [labels.get(cid, "?") for cid in a.get("choices", [])]
        if "other" in a:
            lines.append(_("Other: %(text)s", text=a["other"]))
        return lines
    if q.kind == QuestionKind.SCALE:
        return [f"{a['value']} — {SCALE_LABELS[a['value']]}"] if "value" in a else []
    return [a["text"]] if a.get("text") else []


def new_edit_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def _hash_code(code: str) -> str:
    normalised = re.sub(r"[^A-Z0-9]", "", (code or "").upper())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _store_free_texts(c: Consultation, response: AnonymousResponse, answers: dict) -> None:
    db.session.execute(sa.delete(FreeTextAnswer).where(FreeTextAnswer.response_id == response.id))
    for q in c.questions:
        a = answers.get(str(q.id)) or {}
        if a.get("text"):
            db.session.add(FreeTextAnswer(consultation_id=c.id, question_id=q.id, response_id=response.id, text=a["text"]))
        if a.get("other"):
            db.session.add(FreeTextAnswer(consultation_id=c.id, question_id=q.id, response_id=response.id,
                                    text=a["other"], is_other=True))


def _validated(c: Consultation, form) -> dict:
    answers, errors = parse_answers(c, form)
    if errors:
        raise ValidationError(fields=errors)
    return answers


def answer_consultation(user, c: Consultation, form, *, notify: bool = False, edit_code: str | None = None) -> str:
    """Record or change ``user``'s answers; returns the edit code.

    First answer: a participation (person, day) and an unlinked response are
    written, and a new edit code is returned (shown once, kept in the
    person's session). Change: the response is found by the hash of the code
    the person holds; nothing in the database leads from the person to it.
    """
    require_contributor(user)
    problem = eligibility_problem(user, c)
    if problem:
        raise PermissionDenied(problem)
    answers = _validated(c, form)
    participation = db.session.scalar(sa.select(ConsultationParticipation).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.user_id == user.id))
    if participation is not None:
        response = db.session.scalar(sa.select(AnonymousResponse).where(
            AnonymousResponse.consultation_id == c.id, AnonymousResponse.edit_token_hash == _hash_code(edit_code or "")))
        if response is None:
            raise ValidationError(
                _("You have already answered. To change your answers, enter the edit code you were given."),
                fields={"edit_code": _("This edit code does not match an answer to this consultation.")})
        response.answers = answers
        participation.notify = bool(notify)
        _store_free_texts(c, response, answers)
        db.session.flush()
        _confirmation_mail(user, c, changed=True)
        return edit_code
    code = new_edit_code()
    participation = ConsultationParticipation(consultation_id=c.id, user_id=user.id, answered_on=today(), notify=bool(notify))
    # No savepoint here: the job queue's after_commit hook fires on savepoint
    # release. A concurrent duplicate fails the unique constraint at flush;
    # the caller rolls back on ValidationError.
    # Translated before the flush: after a failed flush the session (and so the
    # locale lookup through the logged-in user) is unusable until rollback.
    message = _("You have already answered this consultation.")
    try:
        db.session.add(participation)
        db.session.flush()
    except sa.exc.IntegrityError:
        raise ValidationError(message) from None
    response = AnonymousResponse(id=uuid.uuid4(), consultation_id=c.id, district_id=respondent_district_id(user),
                        answers=answers, edit_token_hash=_hash_code(code))
    db.session.add(response)
    db.session.flush()
    _store_free_texts(c, response, answers)
    db.session.flush()
    _confirmation_mail(user, c, changed=False)
    return code


def _confirmation_mail(user: User, c: Consultation, *, changed: bool) -> None:
    url = absolute_url("consultations.detail", consultation_id=c.id)
    title = c.title
    if changed:
        subject = lambda: _("Your answers have been changed: %(title)s", title=title)  # noqa: E731
    else:
        subject = lambda: _("Thank you for answering: %(title)s", title=title)  # noqa: E731
    queue_mail(user.email, subject, "consultations/confirmation",
               {"user": user, "consultation": c, "url": url, "changed": changed,
                "closes_on": last_day(c.closes_at), "results_due_on": last_day(c.results_due_at)}, user=user)


def record_paper_response(mediator, c: Consultation, form, *, person_email: str | None = None,
                          paper_reference: str | None = None, district_id: int | None = None,
                          notify: bool = False) -> ConsultationParticipation:
    """A mediator types in a paper questionnaire.

    The person is either an account (found by email: marked as having answered,
    so they cannot answer again online) or, for people without an account, the
    number written on the paper form. Audited with the mediator's name.
    """
    require_role(mediator, Role.MEDIATOR, c.district_id)
    if not c.is_open():
        raise InvalidTransition(_("This consultation is not open for answers."))
    errors = {}
    person = None
    person_email = (person_email or "").strip()
    paper_reference = clean_text(paper_reference)[:60] or None
    if person_email:
        from civic.accounts.services import find_user_by_email

        person = find_user_by_email(person_email)
        if person is None:
            errors["person_email"] = _("No account uses this address. Leave it empty and give the paper form "
                                       "number instead.")
        elif has_answered(person, c):
            errors["person_email"] = _("This person has already answered.")
        else:
            problem = _district_problem(person, c)
            if problem:
                errors["person_email"] = problem
    elif not paper_reference:
        errors["paper_reference"] = _("Give the person's email address or the number of the paper form.")
    if person is None and district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    if person is None and c.eligibility == Eligibility.DISTRICTS and district_id not in {d.id for d in c.districts}:
        errors["district_id"] = _("Only residents of %(districts)s may answer.",
                                  districts=", ".join(d.name for d in c.districts))
    if person is None and c.eligibility == Eligibility.RESIDENTS and district_id is None:
        errors["district_id"] = _("Choose the district where the person lives.")
    duplicate = _("A paper form with this number is already recorded.")
    if person is None and paper_reference and db.session.scalar(sa.select(ConsultationParticipation.id).where(
            ConsultationParticipation.consultation_id == c.id,
            ConsultationParticipation.paper_reference == paper_reference)):
        errors["paper_reference"] = duplicate
    answers, answer_errors = parse_answers(c, form)
    errors.update(answer_errors)
    if errors:
        raise ValidationError(fields=errors)
    participation = ConsultationParticipation(consultation_id=c.id, user_id=person.id if person else None,
                                  paper_reference=None if person else paper_reference, on_paper=True,
                                  answered_on=today(), notify=bool(notify) and person is not None)
    try:
        db.session.add(participation)
        db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent entry of the same form
        raise ValidationError(fields={"paper_reference": duplicate}) from None
    district = respondent_district_id(person) if person else district_id
    response = AnonymousResponse(id=uuid.uuid4(), consultation_id=c.id, district_id=district, answers=answers,
                        edit_token_hash=None)
    db.session.add(response)
    db.session.flush()
    _store_free_texts(c, response, answers)
    db.session.flush()
    audit.record(mediator, "consultation.paper_response", "consultation", c.id,
                 person=person.id if person else None, paper_reference=participation.paper_reference)
    if person is not None:
        _confirmation_mail(person, c, changed=False)
    return participation


# --- participation and results ---------------------------------------------------------

def participation_counts(consultation_ids) -> dict[int, int]:
    """Number of responses per consultation (one query)."""
    ids = list(consultation_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(ConsultationParticipation.consultation_id, sa.func.count()).where(
        ConsultationParticipation.consultation_id.in_(ids)).group_by(ConsultationParticipation.consultation_id)).all()
    return {cid: n for cid, n in rows}


def participation_by_district(c: Consultation) -> list[dict]:
    """Responses per district: a count, never answers, so shown while open."""
    rows = db.session.execute(
        sa.select(AnonymousResponse.district_id, District.code, District.name, sa.func.count())
        .select_from(AnonymousResponse).outerjoin(District, District.id == AnonymousResponse.district_id)
        .where(AnonymousResponse.consultation_id == c.id)
        .group_by(AnonymousResponse.district_id, District.code, District.name).order_by(District.code)).all()
    return [{"district_id": d, "code": code, "name": name, "count": n} for d, code, name, n in rows]


def mix_responses(c: Consultation) -> None:
    """Rewrite a closed consultation's responses in random order with new ids,
    in one statement per table.

    Random ids already keep the logical data unlinkable; this also erases what
    the storage engine keeps about insertion (row order on disk, PostgreSQL's
    per-row transaction ids), which follows the order in which people answered.
    Edit codes are dropped: answers can no longer change.
    """
    responses = db.session.execute(sa.select(AnonymousResponse.id, AnonymousResponse.district_id, AnonymousResponse.answers).where(
        AnonymousResponse.consultation_id == c.id)).all()
    texts = db.session.execute(sa.select(FreeTextAnswer.response_id, FreeTextAnswer.question_id, FreeTextAnswer.is_other,
                                         FreeTextAnswer.text, FreeTextAnswer.review).where(FreeTextAnswer.consultation_id == c.id)).all()
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


def _pct(n: int, total: int) -> float:
    return round(100.0 * n / total, 1) if total else 0.0


def _tally(q: ConsultationQuestion, answers: list[dict]) -> dict:
    """Aggregate one question over a list of answers (None = not answered)."""
    given = [a for a in answers if a]
    n = len(given)
    out: dict = {"answered": n}
    if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        counts = {ch.id: 0 for ch in q.choices}
        other = 0
        for a in given:
            for cid in a.get("choices", []):
                if cid in counts:
                    counts[cid] += 1
            other += 1 if "other" in a else 0
        out["choices"] = [{"id": ch.id, "label": ch.label, "count": counts[ch.id], "percent": _pct(counts[ch.id], n)}
                          for ch in q.choices]
        if q.allow_other:
            out["other"] = {"count": other, "percent": _pct(other, n)}
    elif q.kind == QuestionKind.RANKING:
        k = q.max_choices or len(q.choices)
        stats = {ch.id: {"ranked": 0, "rank_sum": 0, "borda": 0, "first": 0} for ch in q.choices}
        for a in given:
            for rank, cid in enumerate(a.get("choices", [])[:k], 1):
                if cid in stats:
                    s = stats[cid]
                    s["ranked"] += 1
                    s["rank_sum"] += rank
                    # Borda count: first place earns K points, K-th place 1, unranked 0.
                    s["borda"] += k - rank + 1
                    s["first"] += 1 if rank == 1 else 0
        rows = [{"id": ch.id, "label": ch.label, "ranked": stats[ch.id]["ranked"],
                 "first": stats[ch.id]["first"],
                 "average_rank": round(stats[ch.id]["rank_sum"] / stats[ch.id]["ranked"], 2)
                 if stats[ch.id]["ranked"] else None,
                 "borda": stats[ch.id]["borda"]} for ch in q.choices]
        # Highest Borda score first; ties keep the questionnaire's order.
        out["ranking"] = sorted(rows, key=lambda r: -r["borda"])
        out["places"] = k
        out["max_borda"] = k * n
    elif q.kind == QuestionKind.SCALE:
        counts = {v: 0 for v in range(1, SCALE_POINTS + 1)}
        for a in given:
            if a.get("value") in counts:
                counts[a["value"]] += 1
        out["scale"] = [{"value": v, "count": counts[v], "percent": _pct(counts[v], n)} for v in counts]
        out["mean"] = round(sum(v * c for v, c in counts.items()) / n, 2) if n else None
        agree = counts[4] + counts[5]
        out["agree_percent"] = _pct(agree, n)
    return out


def build_results(c: Consultation) -> dict:
    """Aggregated results of ``c``, with breakdowns by district where a group
    has at least K_ANONYMITY answers to the question."""
    rows = db.session.execute(sa.select(AnonymousResponse.district_id, AnonymousResponse.answers).where(
        AnonymousResponse.consultation_id == c.id)).all()
    paper = db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationParticipation).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.on_paper.is_(True)))
    districts = {d.id: d for d in db.session.scalars(sa.select(District)).all()}
    by_district: dict[int, list[dict]] = {}
    for district_id, answers in rows:
        if district_id is not None:
            by_district.setdefault(district_id, []).append(answers or {})
    questions = []
    for q in c.questions:
        all_answers = [(answers or {}).get(str(q.id)) for _d, answers in rows]
        entry = {"id": q.id, "position": q.position, "kind": q.kind.value, "prompt": q.prompt,
                 "required": q.required, **_tally(q, all_answers)}
        if q.kind == QuestionKind.TEXT:
            entry["published_texts"] = 0
        elif q.kind != QuestionKind.TEXT:
            groups, suppressed = [], 0
            for did in sorted(by_district, key=lambda i: districts[i].code if i in districts else ""):
                group = [a.get(str(q.id)) for a in by_district[did]]
                tally = _tally(q, group)
                if tally["answered"] >= K_ANONYMITY:
                    d = districts.get(did)
                    groups.append({"district_id": did, "code": d.code if d else None,
                                   "name": d.name if d else None, **tally})
                elif tally["answered"]:
                    suppressed += 1
            entry["by_district"] = groups
            entry["suppressed_districts"] = suppressed
        questions.append(entry)
    return {
        "k": K_ANONYMITY,
        "total": len(rows),
        "paper": paper or 0,
        "participation_by_district": [
            {"district_id": did, "code": districts[did].code, "name": districts[did].name, "count": len(v)}
            for did, v in sorted(by_district.items(), key=lambda kv: districts[kv[0]].code) if did in districts],
        "no_district": sum(1 for d, _a in rows if d is None),
        "questions": questions,
    }


def compute_results(consultation_id: int) -> bool:
    """Job body: mix, compute and persist the results of a closed consultation
    once; then notify participants who asked. Returns True if it did the work."""
    c = db.session.get(Consultation, consultation_id)
    if c is None or c.status != Status.CLOSED or c.results_computed_at is not None:
        return False
    mix_responses(c)
    c.results = build_results(c)
    c.results_computed_at = utcnow()
    db.session.flush()
    audit.record(None, "consultation.results_published", "consultation", c.id, total=c.results["total"])
    from .jobs import notify_participants

    enqueue(notify_participants, c.id, "results")
    return True


def published_texts(c: Consultation, question_id: int | None = None, *, page: int = 1, per_page: int = 50):
    """Free texts cleared by a moderator (none if the consultation keeps them private)."""
    if c.free_text_private:
        return [], False
    stmt = sa.select(FreeTextAnswer).where(FreeTextAnswer.consultation_id == c.id, FreeTextAnswer.review == Review.APPROVED)
    if question_id is not None:
        stmt = stmt.where(FreeTextAnswer.question_id == question_id)
    # Ordered by random id: no order that could hint at who wrote what.
    rows = db.session.scalars(stmt.order_by(FreeTextAnswer.id).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def published_text_counts(c: Consultation) -> dict[int, int]:
    if c.free_text_private:
        return {}
    rows = db.session.execute(sa.select(FreeTextAnswer.question_id, sa.func.count()).where(
        FreeTextAnswer.consultation_id == c.id, FreeTextAnswer.review == Review.APPROVED).group_by(FreeTextAnswer.question_id)).all()
    return dict(rows)


# --- review of free texts ---------------------------------------------------------------

def review_queue(moderator, *, page: int = 1, per_page: int = 30):
    """Free texts of closed consultations waiting for review, in the
    moderator's districts. Returns (rows of (FreeTextAnswer, Consultation, ConsultationQuestion), has_next)."""
    require_login(moderator)
    if not moderator.has_any_role(Role.MODERATOR):
        raise PermissionDenied()
    stmt = (sa.select(FreeTextAnswer, Consultation, ConsultationQuestion)
            .join(Consultation, Consultation.id == FreeTextAnswer.consultation_id)
            .join(ConsultationQuestion, ConsultationQuestion.id == FreeTextAnswer.question_id)
            .where(FreeTextAnswer.review == Review.PENDING, Consultation.status == Status.CLOSED,
                   Consultation.free_text_private.is_(False)))
    scope = moderator.role_districts(Role.MODERATOR)
    if scope is not None:
        stmt = stmt.where(Consultation.district_id.in_(scope))
    rows = db.session.execute(stmt.order_by(Consultation.id, ConsultationQuestion.position, FreeTextAnswer.id)
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def review_free_text(moderator, text_id, approve: bool, reason: str = "") -> FreeTextAnswer:
    """Publish a free-text answer, or exclude it (personal data, insults...)."""
    require_login(moderator)
    try:
        key = text_id if isinstance(text_id, uuid.UUID) else uuid.UUID(str(text_id))
    except ValueError:
        raise NotFound() from None
    text = db.session.get(FreeTextAnswer, key)
    if text is None:
        raise NotFound()
    c = db.session.get(Consultation, text.consultation_id)
    require_role(moderator, Role.MODERATOR, c.district_id)
    if c.status != Status.CLOSED:
        raise InvalidTransition(_("Free texts are reviewed once the consultation is closed."))
    if c.free_text_private:
        raise InvalidTransition(_("This consultation keeps free texts private."))
    text.review = Review.APPROVED if approve else Review.EXCLUDED
    db.session.flush()
    audit.record(moderator, "consultation.free_text_approved" if approve else "consultation.free_text_excluded",
                 "consultation", c.id, reason=clean_text(reason) or None, text=str(text.id))
    return text


# --- follow-up ---------------------------------------------------------------------------

def _require_followup_editable(actor, c: Consultation) -> None:
    _require_manager(actor, c)
    if c.status != Status.CLOSED:
        raise InvalidTransition(_("The follow-up is written once the consultation is closed."))
    if c.followup_published_at is not None:
        raise InvalidTransition(_("The follow-up is published and can no longer be changed."))


def _parse_day(value: str) -> date | None:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def save_followup(actor, c: Consultation, *, heard: str, next_steps: str) -> None:
    """Save the draft of "what we heard" and "what happens next".

    ``next_steps``: one step per line, ``date | what happens``.
    """
    _require_followup_editable(actor, c)
    steps = []
    for n, line in enumerate((next_steps or "").splitlines(), 1):
        line = clean_text(line)
        if not line:
            continue
        day_raw, sep, text = line.partition("|")
        day = _parse_day(day_raw) if sep else None
        text = clean_text(text)
        if day is None or not text:
            raise ValidationError(fields={"next_steps": _(
                "Line %(n)d: write a date (2026-09-01 or 01/09/2026), a vertical bar, then what happens.", n=n)})
        steps.append(FollowupStep(due_on=day, text=text[:500]))
    c.heard_md = clean_text(heard, multiline=True)
    c.heard_html = render_markdown(heard)
    c.next_steps = steps
    db.session.flush()
    audit.record(actor, "consultation.followup_saved", "consultation", c.id)


def next_steps_text(c: Consultation) -> str:
    return "\n".join(f"{s.due_on.isoformat()} | {s.text}" for s in c.next_steps)


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
    _require_followup_editable(actor, c)
    d = next((d for d in c.decisions if d.id == decision_id), None)
    if d is None:
        raise NotFound()
    c.decisions.remove(d)
    db.session.flush()
    audit.record(actor, "consultation.decision_removed", "consultation", c.id, decision=decision_id)


def link_contribution(actor, c: Consultation, decision_id: int, *, kind: str, object_id: int | None,
                      outcome: str, reason: str) -> FollowupLink:
    """Say that a contribution (any registered kind) led to a decision, and
    what became of it. Its author is told when the follow-up is published."""
    _require_followup_editable(actor, c)
    d = next((d for d in c.decisions if d.id == decision_id), None)
    if d is None:
        raise NotFound()
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
    from .jobs import notify_contributors, notify_participants

    enqueue(notify_participants, c.id, "followup")
    enqueue(notify_contributors, c.id)


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


def due_instant(c: Consultation) -> datetime:
    """The last instant of the promised day (results_due_at is its exclusive end)."""
    return c.results_due_at - timedelta(seconds=1)


def late_days(due_at: datetime, at: datetime) -> int:
    """Days late in the site's calendar: 0 when on time, at least 1 when late."""
    if at <= due_at:
        return 0
    return max(1, (local_day(at) - local_day(due_at)).days)


# --- notifications (job bodies, idempotent through dedupe keys) --------------------------

def notify_participants(consultation_id: int, what: str) -> int:
    """Mail participants who opted in, and followers, that results or the
    follow-up are published. Bulk mail: one-click unsubscribe per consultation."""
    from civic.core.follows import followers

    c = db.session.get(Consultation, consultation_id)
    if c is None or (what == "followup" and c.followup_published_at is None) or (
            what == "results" and c.results_computed_at is None):
        return 0
    people = db.session.scalars(sa.select(User).join(ConsultationParticipation, ConsultationParticipation.user_id == User.id).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.notify.is_(True), User.deleted_at.is_(None),
        User.email.is_not(None))).all()
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
                      {"user": user, "consultation": c, "url": url, "due_on": last_day(c.results_due_at)},
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


# --- accountability and privacy hooks ------------------------------------------------------

def owed_answers() -> list[dict]:
    """Every consultation past its closing date owes results and a follow-up."""
    from flask import url_for

    now = utcnow()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status != Status.DRAFT, Consultation.hidden.is_(False), Consultation.closes_at <= now)).all()
    return [{"kind": "consultation", "id": c.id, "title": c.title,
             "url": url_for("consultations.detail", consultation_id=c.id), "district_id": c.district_id,
             "owed_since": c.closes_at, "due_at": due_instant(c),
             "answered_at": c.followup_published_at}
            for c in rows]


def export_participations(user) -> list[dict]:
    rows = db.session.execute(sa.select(Consultation.title, ConsultationParticipation.answered_on, ConsultationParticipation.on_paper,
                                        ConsultationParticipation.notify)
                              .join(Consultation, Consultation.id == ConsultationParticipation.consultation_id)
                              .where(ConsultationParticipation.user_id == user.id).order_by(ConsultationParticipation.id)).all()
    return [{"consultation": t, "answered_on": d.isoformat(), "on_paper": p, "mail_when_published": n,
             "answers": _("Your answers are stored without any link to you, so they cannot be listed here.")}
            for t, d, p, n in rows]


def erase_participations(user) -> None:
    # The count of participants stays right; the person goes.
    db.session.execute(sa.update(ConsultationParticipation).where(ConsultationParticipation.user_id == user.id)
                       .values(user_id=None, notify=False))
