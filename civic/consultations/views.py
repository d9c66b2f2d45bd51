"""Consultation pages: thin views over civic.consultations.services."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.accounts.forms import apply_errors
from civic.accounts.models import Role
from civic.core import content
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.forms import select_choices
from civic.core.time import utcnow
from civic.extensions import db

from . import forms, services
from .models import AnonymousResponse, Consultation, QuestionKind, Status

bp = Blueprint("consultations", __name__, url_prefix="/consultations")
PAGE_SIZE = 20
CODES = "consultation_codes"


class AnswerErrors:
    """The questionnaire's errors in the shape the ``error_summary`` macro reads."""

    def __init__(self, errors: dict | None = None, form_errors=()):
        self.form_errors = list(form_errors)
        self._fields = [SimpleNamespace(id=k, errors=[v]) for k, v in (errors or {}).items()]

    def __iter__(self):
        return iter(self._fields)


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


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


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
    page = _page()
    rows = db.session.scalars(stmt.order_by(Consultation.closes_at.desc(), Consultation.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    items = rows[:PAGE_SIZE]
    counts = services.participation_counts(c.id for c in items)
    drafts = []
    if current_user.is_authenticated and current_user.has_any_role(Role.OFFICIAL):
        scope = current_user.role_districts(Role.OFFICIAL)
        dstmt = sa.select(Consultation).where(Consultation.status == Status.DRAFT)
        if scope is not None:
            dstmt = dstmt.where(Consultation.district_id.in_(scope))
        drafts = db.session.scalars(dstmt.order_by(Consultation.id.desc()).limit(50)).all()
    return render_template("consultations/index.html", items=items, counts=counts, page=page,
                           has_next=len(rows) > PAGE_SIZE, show=show, drafts=drafts, now=now,
                           s_local_day=services.local_day, s_last_day=services.last_day)


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
        "can_manage": services.can_manage(current_user, c),
        "can_record_paper": services.can_record_paper(current_user, c),
        "s": services,
        "now": utcnow(),
    }


# --- answering ---------------------------------------------------------------------------

def _answer_page(c, answers, errors=None, *, status=200, form_errors=(), code_needed=False, code_error=None):
    return render_template("consultations/answer.html", c=c, answers=answers or {},
                           errors=errors or {}, summary=AnswerErrors(errors, form_errors),
                           code_needed=code_needed, code_error=code_error,
                           editing=services.has_answered(current_user, c), s=services,
                           kinds=QuestionKind), status


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
        response = db.session.scalar(sa.select(AnonymousResponse).where(
            AnonymousResponse.consultation_id == c.id, AnonymousResponse.edit_token_hash == services._hash_code(code)))
        current = response.answers if response else None
    action = request.form.get("action") if request.method == "POST" else None
    if action == "code":
        typed = request.form.get("edit_code", "")
        found = db.session.scalar(sa.select(AnonymousResponse.id).where(
            AnonymousResponse.consultation_id == c.id, AnonymousResponse.edit_token_hash == services._hash_code(typed)))
        if found is None:
            return _answer_page(c, {}, status=422, code_needed=True, code_error=_(
                "This edit code does not match an answer to this consultation."))
        _remember_code(c, typed.strip().upper())
        return redirect(url_for("consultations.answer", consultation_id=c.id))
    if answered and current is None:
        return _answer_page(c, {}, code_needed=True)
    if action in ("review", "change", "confirm"):
        answers, errors = services.parse_answers(c, request.form)
        if action == "change":
            return _answer_page(c, answers)
        if errors:
            return _answer_page(c, answers, errors, status=422)
        if action == "review":
            return render_template("consultations/summary.html", c=c, answers=answers,
                                   fields=services.answer_fields(c, answers), s=services, editing=answered,
                                   notify=request.form.get("notify") == "y")
        try:
            new_code = services.answer_consultation(current_user, c, request.form,
                                                    notify=request.form.get("notify") == "y", edit_code=code)
        except ValidationError as err:
            db.session.rollback()
            return _answer_page(c, answers, err.fields, status=422,
                                form_errors=[] if err.fields else [err.message])
        db.session.commit()
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
    page = _page()
    rows, has_next = services.published_texts(c, q.id, page=page)
    return render_template("consultations/texts.html", c=c, q=q, rows=rows, page=page, has_next=has_next)


# --- officials ---------------------------------------------------------------------------------

def _details(form) -> dict:
    return {"title": form.title.data, "context": form.context.data, "documents": form.documents.data,
            "district_id": form.district_id.data, "eligibility": form.eligibility.data,
            "district_ids": form.district_ids.data or [], "opens_on": form.opens_on.data,
            "closes_on": form.closes_on.data, "results_due_on": form.results_due_on.data,
            "free_text_private": form.free_text_private.data}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.has_any_role(Role.OFFICIAL):
        raise PermissionDenied()
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        try:
            c = services.create_consultation(current_user, **_details(form))
        except ValidationError as err:
            db.session.rollback()
            apply_errors(form, err)
        else:
            db.session.commit()
            flash(_("The consultation is saved as a draft. Add its questions, then publish it."), "success")
            return redirect(url_for("consultations.manage", consultation_id=c.id))
    return render_template("consultations/form.html", form=form, c=None), 422 if request.method == "POST" else 200


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if not services.can_manage(current_user, c):
        raise PermissionDenied()
    form = forms.ConsultationForm(obj=None if request.method == "POST" else SimpleNamespace(
        title=c.title, context=c.context_md, documents=services.documents_text(c), district_id=c.district_id,
        eligibility=c.eligibility.value, district_ids=[d.id for d in c.districts],
        opens_on=services.local_day(c.opens_at), closes_on=services.last_day(c.closes_at),
        results_due_on=services.last_day(c.results_due_at), free_text_private=c.free_text_private))
    if form.validate_on_submit():
        try:
            services.update_consultation(current_user, c, **_details(form))
        except ValidationError as err:
            db.session.rollback()
            apply_errors(form, err)
        else:
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("consultations.manage", consultation_id=c.id))
    return render_template("consultations/form.html", form=form, c=c), 422 if request.method == "POST" else 200


@bp.route("/<int:consultation_id>/manage", methods=["GET", "POST"])
@login_required
def manage(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if not services.can_manage(current_user, c):
        raise PermissionDenied()
    qform = forms.QuestionForm(prefix="q")
    close_form = forms.CloseForm(prefix="close")
    status = 200
    errors = []
    action = request.form.get("action")
    if request.method == "POST":
        try:
            if action == "add_question":
                if qform.validate_on_submit():
                    services.add_question(current_user, c, kind=qform.kind.data, prompt=qform.prompt.data,
                                          help_text=qform.help_text.data or "", required=qform.required.data,
                                          max_choices=qform.max_choices.data, allow_other=qform.allow_other.data,
                                          choices=(qform.choices.data or "").splitlines())
                    db.session.commit()
                    flash(_("The question is added."), "success")
                    return redirect(url_for("consultations.manage", consultation_id=c.id) + "#questions")
            elif action == "remove_question":
                services.remove_question(current_user, c, request.form.get("question_id", type=int))
                db.session.commit()
                flash(_("The question is removed."), "success")
                return redirect(url_for("consultations.manage", consultation_id=c.id) + "#questions")
            elif action == "publish":
                services.publish_consultation(current_user, c)
                db.session.commit()
                flash(_("The consultation is published."), "success")
                return redirect(url_for("consultations.detail", consultation_id=c.id))
            elif action == "close" and close_form.validate_on_submit():
                services.close_consultation(current_user, c, close_form.reason.data or "")
                db.session.commit()
                flash(_("The consultation is closed. The results are being computed."), "success")
                return redirect(url_for("consultations.detail", consultation_id=c.id))
        except ValidationError as err:
            db.session.rollback()
            target = qform if action == "add_question" else close_form
            if err.fields:
                apply_errors(target, err)
            else:
                errors.append(err.message)
        status = 422
    return render_template("consultations/manage.html", c=c, qform=qform, close_form=close_form, errors=errors,
                           s=services, kinds=QuestionKind,
                           summary=AnswerErrors(form_errors=errors)), status


@bp.route("/<int:consultation_id>/followup", methods=["GET", "POST"])
@login_required
def followup(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if not services.can_manage(current_user, c):
        raise PermissionDenied()
    if c.status != Status.CLOSED:
        raise InvalidTransition(_("The follow-up is written once the consultation is closed."))
    fform = forms.FollowupForm(prefix="f", obj=None if request.method == "POST" else SimpleNamespace(
        heard=c.heard_md, next_steps=services.next_steps_text(c)))
    dform = forms.DecisionForm(prefix="d")
    dform.question_id.choices = select_choices([("", _("None in particular"))] + [(str(q.id), q.prompt) for q in c.questions])
    lform = forms.LinkForm(prefix="l")
    lform.kind.choices = select_choices((k.name, k.label()) for k in content.kinds())
    decision_id = request.form.get("decision_id", type=int)
    status, errors = 200, []
    action = request.form.get("action")
    if request.method == "POST":
        try:
            if action == "save" and fform.validate_on_submit():
                services.save_followup(current_user, c, heard=fform.heard.data or "",
                                       next_steps=fform.next_steps.data or "")
                db.session.commit()
                flash(_("The draft of the follow-up is saved."), "success")
                return redirect(url_for("consultations.followup", consultation_id=c.id))
            if action == "add_decision" and dform.validate_on_submit():
                services.add_decision(current_user, c, title=dform.title.data, text=dform.text.data or "",
                                      question_id=dform.question_id.data)
                db.session.commit()
                flash(_("The decision is added."), "success")
                return redirect(url_for("consultations.followup", consultation_id=c.id) + "#decisions")
            if action == "remove_decision":
                services.remove_decision(current_user, c, decision_id)
                db.session.commit()
                flash(_("The decision is removed."), "success")
                return redirect(url_for("consultations.followup", consultation_id=c.id) + "#decisions")
            if action == "link" and lform.validate_on_submit():
                services.link_contribution(current_user, c, decision_id, kind=lform.kind.data,
                                           object_id=lform.object_id.data, outcome=lform.outcome.data,
                                           reason=lform.reason.data)
                db.session.commit()
                flash(_("The contribution is linked to the decision."), "success")
                return redirect(url_for("consultations.followup", consultation_id=c.id) + "#decisions")
            if action == "publish":
                services.publish_followup(current_user, c)
                db.session.commit()
                flash(_("The follow-up is published. Participants who asked are being told."), "success")
                return redirect(url_for("consultations.detail", consultation_id=c.id))
        except ValidationError as err:
            db.session.rollback()
            target = {"save": fform, "add_decision": dform, "link": lform}.get(action)
            if target is not None and err.fields:
                apply_errors(target, err)
            else:
                errors.append(err.message)
        status = 422
    return render_template("consultations/followup.html", c=c, fform=fform, dform=dform, lform=lform,
                           link_decision=decision_id if action == "link" else None,
                           summary=AnswerErrors(form_errors=errors), s=services), status


# --- mediators ---------------------------------------------------------------------------------

@bp.route("/<int:consultation_id>/paper", methods=["GET", "POST"])
@login_required
def paper(consultation_id):
    c = services.get_consultation(consultation_id, current_user)
    if not services.can_record_paper(current_user, c):
        raise PermissionDenied()
    form = forms.PaperForm(prefix="p")
    answers, errors = {}, {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.record_paper_response(current_user, c, request.form, person_email=form.person_email.data,
                                           paper_reference=form.paper_reference.data,
                                           district_id=form.district_id.data, notify=form.notify.data)
        except ValidationError as err:
            db.session.rollback()
            answers, errors = services.parse_answers(c, request.form)
            apply_errors(form, err)
            errors = {k: v for k, v in err.fields.items() if k.startswith("q")}
        else:
            db.session.commit()
            flash(_("The paper answers are recorded."), "success")
            return redirect(url_for("consultations.paper", consultation_id=c.id))
    elif request.method == "POST":
        answers, errors = services.parse_answers(c, request.form)
    status = 422 if request.method == "POST" else 200
    summary = AnswerErrors(errors)
    return render_template("consultations/paper.html", c=c, form=form, answers=answers, errors=errors,
                           summary=summary, s=services, kinds=QuestionKind), status


# --- moderators --------------------------------------------------------------------------------

@bp.route("/review", methods=["GET", "POST"])
@login_required
def review():
    if request.method == "POST":
        services.review_free_text(current_user, request.form.get("text_id", ""),
                                  request.form.get("decision") == "approve", request.form.get("reason", ""))
        db.session.commit()
        flash(_("Your review is recorded."), "success")
        return redirect(url_for("consultations.review", page=request.args.get("page", 1, type=int)))
    page = _page()
    rows, has_next = services.review_queue(current_user, page=page)
    return render_template("consultations/review.html", rows=rows, page=page, has_next=has_next)
