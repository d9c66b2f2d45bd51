"""Consultation pages: thin views over civic.consultations.services.

Every form runs its service through ``civic.core.forms.run_service`` (commit,
or roll back and show the form again with its input and the message) and
answers with ``form_status``; who sees which action is asked of
``civic.consultations.permissions``."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core import content
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied
from civic.core.export import page_arg
from civic.core.forms import attach_rows, form_status, run_service, select_choices
from civic.core.time import utcnow
from civic.extensions import db

from . import forms, permissions, services
from .models import Consultation, QuestionKind, Status

bp = Blueprint("consultations", __name__, url_prefix="/consultations")
PAGE_SIZE = 20
CODES = "consultation_codes"


class _Input:
    """One questionnaire input, as ``apply_errors`` sees a form field."""

    def __init__(self, messages: dict, name: str):
        self._messages, self.id = messages, name

    @property
    def errors(self) -> list[str]:
        return [self._messages[self.id]] if self.id in self._messages else []

    @errors.setter
    def errors(self, messages) -> None:
        self._messages[self.id] = list(messages)[-1]


class PageErrors:
    """Messages of a page whose inputs are not a WTForm (the questionnaire,
    the buttons of the manage, follow-up and review pages), shaped as a form
    for ``run_service`` / ``form_status`` and the ``error_summary`` macro.

    ``errors`` maps an input's id (``q<id>``, ``q<id>_other``, ``edit_code``)
    to its message; ``names`` are the inputs a service's message may be put on
    (others go to ``form_errors``, at the top)."""

    def __init__(self, errors: dict | None = None, form_errors=(), names=()):
        self.errors = dict(errors or {})
        self.form_errors = list(form_errors)
        self._names = frozenset(names)

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.__dict__.get("_names", ()):
            raise AttributeError(name)
        return _Input(self.errors, name)

    def __iter__(self):
        return iter([SimpleNamespace(id=k, errors=[v]) for k, v in self.errors.items()])


def _code_key(c) -> str:
    # Keyed by person too: on a shared computer the next person must not reach
    # the previous one's answers (codes are also dropped at log-out).
    return f"{current_user.id}:{c.id}"


def _saved_code(c) -> str | None:
    return (session.get(CODES) or {}).get(_code_key(c))


def _remember_code(c, code: str) -> None:
    codes = dict(session.get(CODES) or {})
    codes[_code_key(c)] = code
    session[CODES] = codes


def forget_codes(sender=None, user=None, **_kw) -> None:
    """At log-out: edit codes leave the browser with the person."""
    session.pop(CODES, None)


# --- public pages --------------------------------------------------------------------

@bp.get("")
def index():
    show = request.args.get("show", "all")
    now = utcnow()
    stmt = sa.select(Consultation).where(Consultation.status != Status.DRAFT, Consultation.hidden.is_(False))
    if show == "open":
        stmt = stmt.where(Consultation.status == Status.PUBLISHED, Consultation.opens_at <= now,
                          Consultation.closes_at > now)
    elif show == "closed":
        stmt = stmt.where(sa.or_(Consultation.status == Status.CLOSED, Consultation.closes_at <= now))
    page = page_arg()
    rows = db.session.scalars(stmt.order_by(Consultation.closes_at.desc(), Consultation.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    items = rows[:PAGE_SIZE]
    counts = services.participation_counts(c.id for c in items)
    drafts = services.drafts_of(current_user)
    return render_template("consultations/index.html", items=items, counts=counts, page=page,
                           has_next=len(rows) > PAGE_SIZE, show=show, drafts=drafts, now=now)


@bp.get("/<int:consultation_id>")
def detail(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    return render_template("consultations/detail.html", c=c, **_detail_context(c))


def _detail_context(c) -> dict:
    return {
        "total": services.participation_counts([c.id]).get(c.id, 0),
        "by_district": services.participation_by_district(c),
        "answered": services.has_answered(current_user, c),
        "problem": services.eligibility_problem(current_user, c),
        "s": services,
        "now": utcnow(),
    }


# --- answering ---------------------------------------------------------------------------

def _answer_page(c, answers, sheet: PageErrors | None = None, *, code_needed=False):
    """The questionnaire (or, ``code_needed``, the edit-code form), with the
    messages of ``sheet`` next to their inputs."""
    sheet = sheet or PageErrors()
    return render_template("consultations/answer.html", c=c, answers=answers or {},
                           errors=sheet.errors, summary=sheet, code_needed=code_needed,
                           code_error=sheet.errors.get("edit_code") if code_needed else None,
                           editing=services.has_answered(current_user, c), s=services,
                           kinds=QuestionKind), form_status(sheet)


@bp.route("/<int:consultation_id>/answer", methods=["GET", "POST"])
@login_required
def answer(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    problem = services.eligibility_problem(current_user, c)
    if problem:
        return render_template("consultations/not_eligible.html", c=c, problem=problem), 403
    answered = services.has_answered(current_user, c)
    code = _saved_code(c) if answered else None
    current = None
    if code:
        response = services.response_for_code(c, code)
        current = response.answers if response else None
    action = request.form.get("action") if request.method == "POST" else None
    if action == "code":
        typed = request.form.get("edit_code", "")
        if services.response_for_code(c, typed) is None:
            return _answer_page(c, {}, PageErrors({"edit_code": _(
                "This edit code does not match an answer to this consultation.")}), code_needed=True)
        _remember_code(c, typed.strip().upper())
        return redirect(url_for("consultations.answer", consultation_id=c.id))
    if answered and current is None:
        return _answer_page(c, {}, code_needed=True)
    if action in ("review", "change", "confirm"):
        answers, errors = services.parse_answers(c, request.form)
        if action == "change":
            return _answer_page(c, answers)
        if errors:
            return _answer_page(c, answers, PageErrors(errors))
        if action == "review":
            return render_template("consultations/summary.html", c=c, answers=answers,
                                   fields=services.answer_fields(c, answers), s=services, editing=answered,
                                   notify=request.form.get("notify") == "y")
        sheet = PageErrors(names=[*services.answer_field_names(c), "edit_code"])
        ok, new_code = run_service(sheet, services.answer_consultation, current_user, c, request.form,
                                   notify=request.form.get("notify") == "y", edit_code=code)
        if not ok:
            return _answer_page(c, answers, sheet)
        _remember_code(c, new_code)
        if not answered:
            session["consultation_show_code"] = c.id
        flash(_("Your answers have been changed.") if answered else _("Thank you: your answers are recorded."),
              "success")
        return redirect(url_for("consultations.thanks", consultation_id=c.id))
    return _answer_page(c, current or {})


@bp.get("/<int:consultation_id>/thanks")
@login_required
def thanks(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if not services.has_answered(current_user, c):
        return redirect(url_for("consultations.detail", consultation_id=c.id))
    show = session.pop("consultation_show_code", None) == c.id
    return render_template("consultations/thanks.html", c=c, code=_saved_code(c) if show else None, s=services)


# --- results ---------------------------------------------------------------------------------

@bp.get("/<int:consultation_id>/results")
def results(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if c.results is None:
        raise NotFound(_("The results are published after the consultation closes."))
    return render_template("consultations/results.html", c=c, r=c.results, s=services,
                           text_counts=services.published_text_counts(c),
                           questions={q.id: q for q in c.questions})


@bp.get("/<int:consultation_id>/results/<int:question_id>/texts")
def texts(consultation_id, question_id):
    c = services.get_consultation(consultation_id, current_user)
    q = next((q for q in c.questions if q.id == question_id), None)
    if c.results is None or q is None:
        raise NotFound()
    page = page_arg()
    rows, has_next = services.published_texts(c, q.id, page=page)
    return render_template("consultations/texts.html", c=c, q=q, rows=rows, page=page, has_next=has_next)


# --- officials ---------------------------------------------------------------------------------

def _details(form, docs) -> dict:
    return {"title": form.title.data, "context": form.context.data, "documents": docs.values(),
            "district_id": form.district_id.data, "eligibility": form.eligibility.data,
            "district_ids": form.district_ids.data or [], "opens_on": form.opens_on.data,
            "closes_on": form.closes_on.data, "results_due_on": form.results_due_on.data,
            "free_text_private": form.free_text_private.data}


def _managed(consultation_id):
    """The consultation, if the current user may manage it (else 404 or 403)."""
    c = services.get_consultation(consultation_id, current_user)
    if not permissions.can_manage_consultation(current_user, c):
        raise PermissionDenied()
    return c


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not permissions.can_draft_consultations(current_user):
        raise PermissionDenied()
    form = forms.ConsultationForm()
    docs = forms.documents_editor()
    attach_rows(form, docs)
    # "Add a row" or "Remove": the same form again with every input kept, nothing saved.
    if not docs.changed and form.validate_on_submit():
        ok, c = run_service(form, services.create_consultation, current_user, **_details(form, docs))
        if ok:
            flash(_("The consultation is saved as a draft. Add its questions, then publish it."), "success")
            return redirect(url_for("consultations.manage", consultation_id=c.id))
    return render_template("consultations/form.html", form=form, docs=docs, c=None), form_status(form)


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id):
    c = _managed(consultation_id)
    form = forms.ConsultationForm(obj=None if request.method == "POST" else SimpleNamespace(
        title=c.title, context=c.context_md, district_id=c.district_id,
        eligibility=c.eligibility.value, district_ids=[d.id for d in c.districts],
        opens_on=c.opens_on, closes_on=c.closes_on, results_due_on=c.results_due_on,
        free_text_private=c.free_text_private))
    docs = forms.documents_editor(services.documents_rows(c))
    attach_rows(form, docs)
    if not docs.changed and form.validate_on_submit():
        ok, _c = run_service(form, services.update_consultation, current_user, c, **_details(form, docs))
        if ok:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("consultations.manage", consultation_id=c.id))
    return render_template("consultations/form.html", form=form, docs=docs, c=c), form_status(form)


class Action:
    """One button of a page with several forms: the form whose messages a
    refusal shows (``None``: the page's ``buttons``), the service call, and
    where a success goes with which message."""

    def __init__(self, form, run, message, to):
        self.form, self.run, self.message, self.to = form, run, message, to


def _posted(actions: dict, buttons: PageErrors):
    """Run the posted ``action`` through run_service. Returns ``(the form to
    show again, a redirect on success or None)``. A WTForm must validate
    first; a refusal stays on its form (or the page's buttons), input kept."""
    action = actions.get(request.form.get("action")) if request.method == "POST" else None
    if action is None:
        return buttons, None
    form = action.form or buttons
    if action.form is None or form.validate_on_submit():
        ok, _result = run_service(form, action.run)
        if ok:
            flash(action.message, "success")
            return form, redirect(action.to)
    return form, None


@bp.route("/<int:consultation_id>/manage", methods=["GET", "POST"])
@login_required
def manage(consultation_id):
    c = _managed(consultation_id)
    qform = forms.QuestionForm(prefix="q")
    close_form = forms.CloseForm(prefix="close")
    buttons = PageErrors()  # publish and remove: their messages go at the top
    questions = url_for("consultations.manage", consultation_id=c.id) + "#questions"
    public = url_for("consultations.detail", consultation_id=c.id)
    shown, done = _posted({
        "add_question": Action(qform, lambda: services.add_question(
            current_user, c, kind=qform.kind.data, prompt=qform.prompt.data, help_text=qform.help_text.data or "",
            required=qform.required.data, max_choices=qform.max_choices.data, allow_other=qform.allow_other.data,
            choices=(qform.choices.data or "").splitlines()), _("The question is added."), questions),
        "remove_question": Action(None, lambda: services.remove_question(
            current_user, c, request.form.get("question_id", type=int)), _("The question is removed."), questions),
        "publish": Action(None, lambda: services.publish_consultation(current_user, c),
                          _("The consultation is published."), public),
        "close": Action(close_form, lambda: services.close_consultation(current_user, c, close_form.reason.data or ""),
                        _("The consultation is closed. The results are being computed."), public),
    }, buttons)
    if done:
        return done
    return render_template("consultations/manage.html", c=c, qform=qform, close_form=close_form, s=services,
                           kinds=QuestionKind, summary=buttons), form_status(shown)


@bp.route("/<int:consultation_id>/followup", methods=["GET", "POST"])
@login_required
def followup(consultation_id):
    c = _managed(consultation_id)
    if c.status != Status.CLOSED:
        raise InvalidTransition(_("The follow-up is written once the consultation is closed."))
    fform = forms.FollowupForm(prefix="f", obj=None if request.method == "POST" else SimpleNamespace(
        # Until "what we heard" is written, what other modules found (a
        # conversation's consensus) starts the draft.
        heard=c.heard_md or content.summaries("consultation", c) or None))
    steps = attach_rows(fform, forms.steps_editor(services.next_steps_rows(c))).row_editors[0]
    dform = forms.DecisionForm(prefix="d")
    dform.question_id.choices = select_choices([("", _("None in particular"))] + [(str(q.id), q.prompt) for q in c.questions])
    lform = forms.LinkForm(prefix="l")
    lform.kind.choices = select_choices((k.name, k.label()) for k in content.kinds())
    buttons = PageErrors()  # remove a decision, publish: their messages go at the top
    decision_id = request.form.get("decision_id", type=int)
    here = url_for("consultations.followup", consultation_id=c.id)
    if steps.changed:
        # "Add a row" or "Remove": the same page again with every input kept, nothing saved.
        return render_template("consultations/followup.html", c=c, fform=fform, dform=dform, lform=lform, steps=steps,
                               link_decision=None, summary=buttons, s=services), form_status(fform)
    shown, done = _posted({
        "save": Action(fform, lambda: services.save_followup(
            current_user, c, heard=fform.heard.data or "", next_steps=steps.values()),
            _("The draft of the follow-up is saved."), here),
        "add_decision": Action(dform, lambda: services.add_decision(
            current_user, c, title=dform.title.data, text=dform.text.data or "", question_id=dform.question_id.data),
            _("The decision is added."), here + "#decisions"),
        "remove_decision": Action(None, lambda: services.remove_decision(current_user, c, decision_id),
                                  _("The decision is removed."), here + "#decisions"),
        "link": Action(lform, lambda: services.link_contribution(
            current_user, c, decision_id, kind=lform.kind.data, object_id=lform.object_id.data,
            outcome=lform.outcome.data, reason=lform.reason.data),
            _("The contribution is linked to the decision."), here + "#decisions"),
        "publish": Action(None, lambda: services.publish_followup(current_user, c),
                          _("The follow-up is published. Participants who asked are being told."),
                          url_for("consultations.detail", consultation_id=c.id)),
    }, buttons)
    if done:
        return done
    return render_template("consultations/followup.html", c=c, fform=fform, dform=dform, lform=lform, steps=steps,
                           link_decision=decision_id if request.form.get("action") == "link" else None,
                           summary=buttons, s=services), form_status(shown)


# --- mediators ---------------------------------------------------------------------------------

@bp.route("/<int:consultation_id>/paper", methods=["GET", "POST"])
@login_required
def paper(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if not permissions.can_record_paper_response(current_user, c):
        raise PermissionDenied()
    form = forms.PaperForm(prefix="p")
    answers, errors = {}, {}
    if form.validate_on_submit():
        ok, _p = run_service(form, services.record_paper_response, current_user, c, request.form,
                             person_email=form.person_email.data, paper_reference=form.paper_reference.data,
                             district_id=form.district_id.data, notify=form.notify.data)
        if ok:
            flash(_("The paper answers are recorded."), "success")
            return redirect(url_for("consultations.paper", consultation_id=c.id))
    if request.method == "POST":
        # The answers come back filled in, with their reasons next to the questions.
        answers, errors = services.parse_answers(c, request.form)
    return render_template("consultations/paper.html", c=c, form=form, answers=answers, errors=errors,
                           summary=PageErrors(errors), s=services, kinds=QuestionKind), form_status(form)


# --- moderators --------------------------------------------------------------------------------

@bp.route("/review", methods=["GET", "POST"])
@login_required
def review():
    page = page_arg()
    sheet = PageErrors()
    if request.method == "POST":
        ok, _t = run_service(sheet, services.review_free_text, current_user, request.form.get("text_id", ""),
                             request.form.get("decision") == "approve", request.form.get("reason", ""))
        if ok:
            flash(_("Your review is recorded."), "success")
            return redirect(url_for("consultations.review", page=page))
    rows, has_next = services.review_queue(current_user, page=page)
    return render_template("consultations/review.html", rows=rows, page=page, has_next=has_next,
                           summary=sheet), form_status(sheet)

