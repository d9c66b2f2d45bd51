"""Moderation pages: report form, moderators' queue and decisions, blocks,
appeals, and the public transparency report. Thin views over the services."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core import content
from civic.core.export import csv_response, page_arg
from civic.core.forms import form_status, run_service
from civic.core.time import utcnow
from civic.moderation import forms, labels, permissions, services
from civic.moderation.models import AppealStatus, DecisionType, ReportReason
from civic.moderation.transparency import CSV_COLUMNS, csv_rows, month_starts, transparency_figures

bp = Blueprint("moderation", __name__)


def _conflict(form) -> str | None:
    """Why the form's decision was refused when another moderator decided
    first (409): the page says so above that decision, instead of the form."""
    return form.form_errors[-1] if form_status(form) == 409 else None


# --- reporting --------------------------------------------------------------------

@bp.route("/report/<kind>/<int:object_id>", methods=["GET", "POST"])
@login_required
def report(kind, object_id):
    k, obj = services.reportable(current_user, kind, object_id)
    form = forms.ReportForm()
    already = services.has_reported(current_user, kind, object_id)
    if not already and form.validate_on_submit():
        ok, _r = run_service(form, services.report_content, current_user, kind, object_id,
                             form.reason.data, form.details.data)
        if ok:
            flash(_("Thank you: your report was sent. Moderators will look at it; the author is not told who "
                    "reported."), "success")
            return redirect(k.url(obj))
    return render_template("moderation/report.html", form=form, kind=k, obj=obj, title=k.title(obj),
                           already=already, hints=labels.REASON_HINTS), form_status(form)


# --- moderators ---------------------------------------------------------------------

@bp.get("/moderation/")
@login_required
def queue():
    page = page_arg()
    rows, has_next = services.moderation_queue(current_user, page)
    appeals = services.pending_appeals(current_user) if page == 1 else []
    return render_template("moderation/queue.html", rows=rows, page=page, has_next=has_next, appeals=appeals)


@bp.route("/moderation/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
def case(case_id):
    detail = services.case_detail(current_user, case_id)
    form = forms.DecisionForm()
    if request.method == "GET" and detail["text"]:
        form.redacted_text.data = detail["text"]
    if request.method == "POST" and form.validate_on_submit():
        ok, decision = run_service(form, services.decide_case, current_user, case_id, form.decision.data,
                                   form.reason_code.data, form.statement.data, form.redacted_text.data)
        if ok:
            flash(_("Decision recorded: %(decision)s.", decision=labels.decision_label(decision.type)), "success")
            return redirect(url_for("moderation.queue"))
        if _conflict(form):
            detail = services.case_detail(current_user, case_id)  # with the decision taken first
    return render_template("moderation/case.html", form=form, conflict=_conflict(form), **detail), form_status(form)


@bp.route("/moderation/people/<int:user_id>", methods=["GET", "POST"])
@login_required
def person(user_id):
    summary = services.person_summary(current_user, user_id)
    block_form = forms.BlockForm(prefix="block")
    unblock_form = forms.UnblockForm(prefix="unblock")
    if request.method == "POST":
        action = request.form.get("action")
        if action == "block" and block_form.validate_on_submit():
            days = None if block_form.duration.data == "permanent" else int(block_form.duration.data)
            ok, _r = run_service(block_form, services.block_user, current_user, user_id, days,
                                 block_form.reason_code.data, block_form.statement.data)
            if ok:
                flash(_("%(name)s is blocked; their contributions are hidden.", name=summary["user"].display_name),
                      "success")
                return redirect(url_for("moderation.person", user_id=user_id))
        elif action == "unblock" and unblock_form.validate_on_submit():
            ok, _r = run_service(unblock_form, services.unblock_user, current_user, user_id,
                                 unblock_form.reason.data)
            if ok:
                flash(_("The block is lifted; what it hid is visible again."), "success")
                return redirect(url_for("moderation.person", user_id=user_id))
    # One form is sent at a time: the page answers with its status (the other's is 200).
    status = max(form_status(block_form), form_status(unblock_form))
    return render_template("moderation/person.html", block_form=block_form, unblock_form=unblock_form,
                           **summary), status


@bp.route("/moderation/appeals/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def appeal_review(appeal_id):
    detail = services.appeal_detail(current_user, appeal_id)
    form = forms.AppealDecisionForm()
    if request.method == "POST" and form.validate_on_submit():
        ok, appeal = run_service(form, services.decide_appeal, current_user, appeal_id,
                                 form.outcome.data, form.statement.data)
        if ok:
            flash(_("Appeal decided: %(outcome)s. The person is informed by email.",
                    outcome=labels.appeal_label(appeal.status)), "success")
            return redirect(url_for("moderation.queue"))
    return render_template("moderation/appeal_review.html", form=form, conflict=_conflict(form), **detail), \
        form_status(form)


# --- the person concerned -----------------------------------------------------------

@bp.get("/moderation/mine")
@login_required
def mine():
    return render_template("moderation/mine.html", rows=services.my_decisions(current_user))


@bp.route("/moderation/decisions/<int:decision_id>/appeal", methods=["GET", "POST"])
@login_required
def appeal(decision_id):
    detail = services.own_decision(current_user, decision_id)
    form = forms.AppealForm()
    if permissions.can_appeal_decision(current_user, detail["decision"]) and form.validate_on_submit():
        ok, _r = run_service(form, services.appeal_decision, current_user, decision_id, form.text.data)
        if ok:
            flash(_("Your appeal was sent. A different moderator will decide and you will receive the outcome by "
                    "email."), "success")
            return redirect(url_for("moderation.mine"))
    return render_template("moderation/appeal.html", form=form, **detail), form_status(form)


# --- public transparency ------------------------------------------------------------

@bp.get("/transparency")
def transparency():
    now = utcnow()
    figures = transparency_figures(now)
    starts = month_starts(now)
    # The months are UTC calendar months: name each by its own date, not by
    # the local moment its first instant falls on (the month before, west of UTC).
    month_names = {s.strftime("%Y-%m"): format_date(s.date(), "MMMM yyyy") for s in starts}
    kind_labels = []
    for name in figures["rules"]["premoderated_kinds"]:
        kind = next((k for k in content.kinds() if k.name == name), None)
        kind_labels.append(str(kind.label()) if kind else name)
    return render_template("moderation/transparency.html", figures=figures, month_names=month_names,
                           reasons=list(ReportReason), decision_types=list(DecisionType),
                           appeal_statuses=[s for s in AppealStatus if s != AppealStatus.PENDING],
                           premoderated=kind_labels, reason_hints=labels.REASON_HINTS,
                           period_start=starts[0].date(), period_end=now)


@bp.get("/transparency.csv")
def transparency_csv():
    return csv_response("moderation-transparency.csv", CSV_COLUMNS, csv_rows(transparency_figures()))
