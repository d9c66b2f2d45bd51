"""Answering a consultation: eligibility, reading the questionnaire, recording
answers online (with an edit code) or from a paper form.

Anonymity rules kept here (see models.py): answering writes a
ConsultationParticipation (who, which day) and an AnonymousResponse (what,
with a district) that share nothing the database could join on; the audit
log and the outbox only ever mention the participation side; the edit code
is never mailed (the outbox stores mail bodies next to the address, which
would link the person to the response).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import District, User
from civic.core import audit, follows
from civic.core.errors import InvalidTransition, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import is_user, require, require_contributor
from civic.core.sanitize import clean_text
from civic.core.time import today
from civic.core.urls import absolute_url
from civic.extensions import db

from .. import permissions
from ..labels import SCALE_LABELS
from ..models import (
    AnonymousResponse,
    Consultation,
    ConsultationParticipation,
    ConsultationQuestion,
    Eligibility,
    FreeTextAnswer,
    QuestionKind,
)
from ..tally import SCALE_POINTS

MAX_TEXT = 2000
MAX_OTHER = 300
# Edit codes: 16 characters from an alphabet without look-alikes (80 bits).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


# --- eligibility -------------------------------------------------------------------

def respondent_district_id(user: User) -> int | None:
    """The district stored with a response: verified, else declared."""
    return user.verified_district_id() or user.district_id


def eligibility_problem(user, c: Consultation) -> str | None:
    """Why ``user`` may not answer ``c`` now (None if they may)."""
    allowed = permissions.can_answer_consultation(user, c)
    return None if allowed else allowed.message


def has_answered(user, c: Consultation) -> bool:
    if not is_user(user):
        return False
    return db.session.scalar(sa.select(ConsultationParticipation.id).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.user_id == user.id)) is not None


# --- the questionnaire ----------------------------------------------------------------

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


def answer_field_names(c: Consultation) -> list[str]:
    """The names of the questionnaire's inputs that can carry an error message."""
    names = []
    for q in c.questions:
        names.append(f"q{q.id}")
        if q.allow_other:
            names.append(f"q{q.id}_other")
    return names


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


# --- edit codes ---------------------------------------------------------------------------

def new_edit_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def _hash_code(code: str) -> str:
    normalised = re.sub(r"[^A-Z0-9]", "", (code or "").upper())
    return hashlib.sha256(normalised.encode()).hexdigest()


def response_for_code(c: Consultation, code: str | None) -> AnonymousResponse | None:
    """The response of ``c`` whose edit code is ``code`` (any case, with or
    without dashes), or None: the only way from a person to their answers."""
    if not code:
        return None
    return db.session.scalar(sa.select(AnonymousResponse).where(
        AnonymousResponse.consultation_id == c.id, AnonymousResponse.edit_token_hash == _hash_code(code)))


# --- recording answers ------------------------------------------------------------------------

def _store_free_texts(c: Consultation, response: AnonymousResponse, answers: dict) -> None:
    db.session.execute(sa.delete(FreeTextAnswer).where(FreeTextAnswer.response_id == response.id))
    for q in c.questions:
        a = answers.get(str(q.id)) or {}
        if a.get("text"):
            db.session.add(FreeTextAnswer(consultation_id=c.id, question_id=q.id, response_id=response.id,
                                          text=a["text"]))
        if a.get("other"):
            db.session.add(FreeTextAnswer(consultation_id=c.id, question_id=q.id, response_id=response.id,
                                          text=a["other"], is_other=True))


def _store_response(c: Consultation, district_id: int | None, answers: dict, code_hash: str | None) -> None:
    response = AnonymousResponse(id=uuid.uuid4(), consultation_id=c.id, district_id=district_id, answers=answers,
                                 edit_token_hash=code_hash)
    db.session.add(response)
    db.session.flush()
    _store_free_texts(c, response, answers)
    db.session.flush()


def _validated(c: Consultation, form) -> dict:
    answers, errors = parse_answers(c, form)
    if errors:
        raise ValidationError(fields=errors)
    return answers


def answer_consultation(actor, c: Consultation, form, *, notify: bool = False, edit_code: str | None = None) -> str:
    """Record or change the actor's answers; returns the edit code.

    First answer: a participation (person, day) and an unlinked response are
    written, and a new edit code is returned (shown once, kept in the
    person's session). Change: the response is found by the hash of the code
    the person holds; nothing in the database leads from the person to it.
    """
    require_contributor(actor)
    require(permissions.can_answer_consultation(actor, c))
    answers = _validated(c, form)
    participation = db.session.scalar(sa.select(ConsultationParticipation).where(
        ConsultationParticipation.consultation_id == c.id, ConsultationParticipation.user_id == actor.id))
    if participation is not None:
        response = response_for_code(c, edit_code or "")
        if response is None:
            raise ValidationError(
                _("You have already answered. To change your answers, enter the edit code you were given."),
                fields={"edit_code": _("This edit code does not match an answer to this consultation.")})
        response.answers = answers
        participation.notify = bool(notify)
        _store_free_texts(c, response, answers)
        db.session.flush()
        _confirmation_mail(actor, c, changed=True)
        return edit_code
    code = new_edit_code()
    participation = ConsultationParticipation(consultation_id=c.id, user_id=actor.id, answered_on=today(),
                                              notify=bool(notify))
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
    _store_response(c, respondent_district_id(actor), answers, _hash_code(code))
    _confirmation_mail(actor, c, changed=False)
    if notify:
        # Following mails its news: a participant who declined news on the same form does not follow.
        follows.auto_follow(actor, "consultation", c.id)
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
                "closes_on": c.closes_on, "results_due_on": c.results_due_on}, user=user)


def record_paper_response(actor, c: Consultation, form, *, person_email: str | None = None,
                          paper_reference: str | None = None, district_id: int | None = None,
                          notify: bool = False) -> ConsultationParticipation:
    """A mediator types in a paper questionnaire.

    The person is either an account (found by email: marked as having answered,
    so they cannot answer again online) or, for people without an account, the
    number written on the paper form. Audited with the mediator's name.
    """
    require(permissions.can_record_paper_response(actor, c))
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
            refusal = permissions.residence_refusal(person, c)
            if refusal is not None:
                errors["person_email"] = refusal.message
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
    _store_response(c, respondent_district_id(person) if person else district_id, answers, None)
    audit.record(actor, "consultation.paper_response", "consultation", c.id,
                 person=person.id if person else None, paper_reference=participation.paper_reference)
    if person is not None:
        _confirmation_mail(person, c, changed=False)
    return participation
