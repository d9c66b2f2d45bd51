"""Pages of processes and proposals: thin views over civic.processes.services."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.accounts.models import District
from civic.core import phases, pictures
from civic.core.errors import InvalidTransition
from civic.core.export import csv_response, iso, page_arg
from civic.core.forms import edit_posted_rows, form_status, run_service, select_choices
from civic.core.inputs import as_id
from civic.core.permissions import is_contributor, require, require_login
from civic.core.time import end_of_day, last_day, local_day, start_of_day, today, utcnow
from civic.core.views import safe_next
from civic.extensions import db
from civic.processes import forms, permissions, services
from civic.processes.models import ProposalState

bp = Blueprint("processes", __name__)


@bp.context_processor
def _labels():
    return {"STATE_LABELS": services.STATE_LABELS, "now": utcnow()}


def _visitor_seed() -> int:
    """Seed of the random order, kept in the visitor's session for the day:
    pagination is stable and everyone sees a different, fair order."""
    day = today().isoformat()
    data = session.get("proposal_order")
    if not isinstance(data, dict) or data.get("day") != day or not isinstance(data.get("seed"), int):
        data = {"day": day, "seed": secrets.randbelow(2 ** 62)}
        session["proposal_order"] = data
    return data["seed"]


def _district_choices_for(process):
    if process is not None and process.district_id is not None:
        return [process.district]
    return db.session.scalars(db.select(District).order_by(District.code)).all()


# --- processes -----------------------------------------------------------------

@bp.get("/processes/")
def index():
    page = page_arg()
    rows, has_next = services.list_processes(current_user, page=page)
    current = services.current_phases([p.id for p in rows])
    now = utcnow()
    open_ids = {p.id for p in rows if p.participation_open and p.id in current
                and (current[p.id].ends_at is None or current[p.id].ends_at > now)}
    return render_template("processes/index.html", processes=rows, current=current, open_ids=open_ids,
                           page=page, has_next=has_next)


@bp.get("/processes/archive")
def archive():
    page = page_arg()
    rows, has_next = services.list_processes(current_user, archive=True, page=page)
    outcomes = services.outcome_counts([p.id for p in rows])
    return render_template("processes/archive.html", processes=rows, outcomes=outcomes, page=page,
                           has_next=has_next)


@bp.get("/processes/<int:process_id>")
def show(process_id):
    process = services.get_process(process_id, current_user)
    all_phases = phases.phases_for("process", process.id)
    current = next((p for p in all_phases if p.is_current), None)
    upcoming = next((p for p in all_phases if p.status == "upcoming"), None)
    can = {c: phases.allows("process", process.id, c) for c in phases.CAPABILITIES}
    rows, has_more = services.list_proposals(current_user, process.id, order="random", seed=_visitor_seed(),
                                             limit=6)
    used, limit = services.support_usage(current_user, process)
    return render_template(
        "processes/show.html", process=process, phases=all_phases, current=current, upcoming=upcoming, can=can,
        proposals=rows, has_more=has_more, linked=services.linked_items(process),
        outcomes=services.outcome_counts([process.id])[process.id], used=used, limit=limit,
        threshold=services.threshold_needed(process))


def _filters_from_args(process):
    district_id = as_id(request.args.get("district"))
    category = request.args.get("category") or None
    state = request.args.get("state") or None
    if state not in {s.value for s in ProposalState}:
        state = None
    if category and category not in process.categories:
        category = None
    return services.ProposalFilters(district_id=district_id, category=category, state=state)


@bp.get("/processes/<int:process_id>/proposals")
def proposals(process_id):
    process = services.get_process(process_id, current_user)
    order = request.args.get("order", "random")
    if order not in services.ORDERS:
        order = "random"
    filters = _filters_from_args(process)
    page = page_arg()
    rows, has_next = services.list_proposals(current_user, process.id, filters, order=order,
                                             seed=_visitor_seed(), page=page)
    used, limit = services.support_usage(current_user, process)
    args = {k: v for k, v in {"order": order if order != "random" else None, "district": filters.district_id,
                              "category": filters.category, "state": filters.state}.items() if v}
    return render_template(
        "processes/proposals.html", process=process, proposals=rows, has_next=has_next, page=page, order=order,
        filters=filters, args=args, districts=_district_choices_for(process), states=services.STATE_LABELS,
        supported=services.supported_ids(current_user, [p.id for p in rows]),
        can_support=phases.allows("process", process.id, "support"), used=used, limit=limit)


@bp.get("/processes/<int:process_id>/proposals.csv")
def proposals_csv(process_id):
    """Public download: proposals with their answers, no personal data."""
    process = services.get_process(process_id, current_user)
    header = ["id", "title", "url", "district", "category", "place", "state", "supports", "author",
              "published_at", "queued_at", "answer_due_at", "answered_at", "official_answer",
              "implementation_progress"]

    def rows():
        page = 1
        while True:
            chunk, has_next = services.list_proposals(None, process.id, order="newest", page=page, limit=500)
            progress = services.latest_progress([p.id for p in chunk])
            for p in chunk:
                yield [p.id, p.title, url_for("processes.proposal", proposal_id=p.id, _external=True),
                       p.district.name if p.district else "", p.category or "", p.place or "", p.state.value,
                       p.support_count, p.author.display_name if p.author else "",
                       iso(p.created_at), iso(p.queued_at), iso(p.answer_due_at), iso(p.answered_at),
                       p.answer or "", progress.get(p.id, "")]
            if not has_next:
                return
            page += 1

    return csv_response(f"process-{process.id}-proposals.csv", header, rows())


# --- process administration ---------------------------------------------------------

def _manageable(process_id):
    process = services.get_process(process_id, current_user)
    require_login(current_user)
    require(permissions.can_manage_process(current_user, process))
    return process


def _process_data(form, picture) -> services.ProcessData:
    return services.ProcessData(
        title=form.title.data or "", summary=form.summary.data or "", description=form.description.data or "",
        district_id=form.district_id.data, categories=(form.categories.data or "").splitlines(),
        support_limit=form.support_limit.data, threshold_type=form.threshold_type.data,
        threshold_value=form.threshold_number(), requires_verification=form.requires_verification.data,
        answer_delay_days=form.answer_delay_days.data, budget_id=form.budget_id.data,
        consultation_id=form.consultation_id.data, picture=picture)


@bp.route("/processes/new", methods=["GET", "POST"])
@login_required
def new_process():
    require(permissions.can_create_process(current_user))
    form = forms.ProcessForm()
    valid = form.validate_on_submit()  # before staging: validation resets the fields' errors
    picture = pictures.stage(form, current_user) if request.method == "POST" else None
    if valid and picture is not None:
        ok, process = run_service(form, services.create_process, current_user, _process_data(form, picture))
        if ok:
            flash(_("The process is created as a draft. Add its phases, then publish it."), "success")
            return redirect(url_for("processes.edit_phases", process_id=process.id))
    return render_template("processes/admin/process_form.html", form=form, process=None,
                           picture=None), form_status(form)


@bp.get("/processes/<int:process_id>/manage")
@login_required
def manage(process_id):
    process = _manageable(process_id)
    return render_template("processes/admin/manage.html", process=process,
                           phases=phases.phases_for("process", process.id),
                           awaiting=services.awaiting_answer(process), now=utcnow())


@bp.route("/processes/<int:process_id>/settings", methods=["GET", "POST"])
@login_required
def edit_process(process_id):
    process = _manageable(process_id)
    form = forms.ProcessForm(obj=process if request.method == "GET" else None)
    if request.method == "GET":
        form.categories.data = "\n".join(process.categories or [])
        current = pictures.for_owner("process", process.id)
        form.image_alt.data = current.alt if current else ""
        form.threshold_type.data = process.threshold_type.value
        if process.threshold_value is not None:
            value = process.threshold_value
            form.threshold_value.data = (f"{value / 100:g}" if process.threshold_type.value == "percent"
                                         else str(value))
    valid = form.validate_on_submit()  # before staging: validation resets the fields' errors
    picture = pictures.stage(form, current_user) if request.method == "POST" else None
    if valid and picture is not None:
        ok, _r = run_service(form, services.update_process, current_user, process, _process_data(form, picture))
        if ok:
            flash(_("The process is saved."), "success")
            return redirect(url_for("processes.manage", process_id=process.id))
    return render_template("processes/admin/process_form.html", form=form, process=process,
                           picture=pictures.for_owner("process", process.id)), form_status(form)


def _saved_phases_form(existing) -> forms.PhasesForm:
    """The phases form filled with the saved phases, and empty rows after
    them (up to ``FIRST_ROWS`` rows in all, one at least)."""
    form = forms.PhasesForm(formdata=None)
    while len(form.rows) < min(max(forms.FIRST_ROWS, len(existing) + 1), forms.MAX_PHASES):
        form.add_row()
    for entry, p in zip(form.rows, existing, strict=False):
        row = entry.form
        row.code.data, row.title.data, row.description.data = p.code, p.title, p.description
        # Local days: ends_at is the exclusive bound after the last day included.
        row.starts_on.data = local_day(p.starts_at)
        row.ends_on.data = last_day(p.ends_at) if p.ends_at else None
        row.capabilities.data = list(p.capabilities or [])
    return form


@bp.route("/processes/<int:process_id>/phases", methods=["GET", "POST"])
@login_required
def edit_phases(process_id):
    process = _manageable(process_id)
    existing = phases.phases_for("process", process.id)
    changed = False
    if request.method == "POST":
        # "Add a phase" or "Remove": the same form again with every input kept, nothing saved.
        posted, add, changed = edit_posted_rows(request.form, "rows", max_rows=forms.MAX_PHASES)
        form = forms.PhasesForm(formdata=posted)
        if add:
            form.add_row()
        elif changed and request.form.get("add_row"):
            form.form_errors.append(_("A process has at most %(n)d phases.", n=forms.MAX_PHASES))
    else:
        form = _saved_phases_form(existing)
    move_form = forms.MovePhaseForm(prefix="move")
    move_form.phase_id.choices = select_choices([("", _("Choose…"))] + [(str(p.id), p.title) for p in existing])
    if request.method == "POST" and not changed:
        specs, errors = [], []
        if form.validate_on_submit():
            for n, entry in enumerate(form.rows, start=1):
                row = entry.form
                if not row.code.data:
                    continue
                if not row.starts_on.data:
                    # Next to that row's date (and in the summary, which links to it).
                    row.starts_on.errors = [*row.starts_on.errors, _("Phase %(n)d needs a start date.", n=n)]
                    errors.append(None)
                    continue
                specs.append(phases.PhaseSpec(
                    code=row.code.data, title=(row.title.data or "").strip() or str(services.PHASE_LABELS[row.code.data]),
                    starts_at=start_of_day(row.starts_on.data),
                    ends_at=end_of_day(row.ends_on.data) if row.ends_on.data else None,
                    capabilities=tuple(row.capabilities.data or ()), description=(row.description.data or "").strip() or None))
        else:
            errors.append(_("Check the dates: use the format YYYY-MM-DD."))
        form.form_errors.extend(e for e in errors if e)
        if errors:
            form.error_status = 422  # a row's own message: the FieldList's errors were computed before it
        if not errors:
            ok, _r = run_service(form, services.save_phases, current_user, process, specs)
            if ok:
                flash(_("The phases are saved."), "success")
                return redirect(url_for("processes.manage", process_id=process.id))
    return render_template("processes/admin/phases.html", process=process, form=form, move_form=move_form,
                           phases=existing, template_row=forms.phase_row_template(),
                           max_phases=forms.MAX_PHASES), form_status(form)


@bp.post("/processes/<int:process_id>/phases/move")
@login_required
def move_phase(process_id):
    process = _manageable(process_id)
    existing = phases.phases_for("process", process.id)
    move_form = forms.MovePhaseForm(prefix="move")
    move_form.phase_id.choices = select_choices([("", _("Choose…"))] + [(str(p.id), p.title) for p in existing])
    if move_form.validate_on_submit():
        ok, _r = run_service(move_form, services.move_process_phase, current_user, process,
                                   move_form.phase_id.data, move_form.reason.data)
        if ok:
            flash(_("The process has entered the chosen phase."), "success")
            return redirect(url_for("processes.manage", process_id=process.id))
    return render_template("processes/admin/phases.html", process=process, form=_saved_phases_form(existing),
                           move_form=move_form, phases=existing, template_row=forms.phase_row_template(),
                           max_phases=forms.MAX_PHASES), form_status(move_form)


@bp.post("/processes/<int:process_id>/publish")
@login_required
def publish(process_id):
    process = _manageable(process_id)
    form = FlaskForm()  # a button: the service's reason comes back as a message
    ok, _r = run_service(form, services.publish_process, current_user, process)
    if not ok:
        _flash_errors(form)
        return redirect(url_for("processes.manage", process_id=process.id))
    flash(_("The process is published."), "success")
    return redirect(url_for("processes.show", process_id=process.id))


@bp.route("/processes/<int:process_id>/results", methods=["GET", "POST"])
@login_required
def results(process_id):
    process = _manageable(process_id)
    form = forms.ResultsForm(data={"results": process.results} if request.method == "GET" else None)
    if form.validate_on_submit():
        ok, _r = run_service(form, services.publish_results, current_user, process, form.results.data)
        if ok:
            flash(_("The results are published."), "success")
            return redirect(url_for("processes.show", process_id=process.id))
    return render_template("processes/admin/results.html", process=process, form=form), form_status(form)


# --- proposals -------------------------------------------------------------------

def _proposal_data(form, picture=None) -> services.ProposalData:
    return services.ProposalData(title=form.title.data or "", body=form.body.data or "",
                                 district_id=form.district_id.data, category=form.category.data or None,
                                 place=form.place.data or None, picture=picture)


@bp.route("/processes/<int:process_id>/proposals/new", methods=["GET", "POST"])
@login_required
def new_proposal(process_id):
    process = services.get_process(process_id, current_user)
    form = forms.ProposalForm().setup(process)
    similar = []
    if not phases.allows("process", process.id, "submit"):
        raise InvalidTransition(_("Proposals cannot be submitted in this phase of the process."))
    # The upload is staged first: a pending picture whose signed token rides in
    # the form, so it survives the similar-proposals step and any invalid field.
    valid = form.validate_on_submit()  # before staging: validation resets the fields' errors
    picture = pictures.stage(form, current_user) if request.method == "POST" else None
    if valid and picture is not None:
        # First submission: show similar proposals, so the resident can support
        # one instead; a second submission (similar_seen) publishes.
        if form.similar_seen.data != "1":
            similar = services.similar_proposals(current_user, process, f"{form.title.data} {form.body.data}")
        if not similar:
            ok, proposal = run_service(form, services.submit_proposal, current_user, process,
                                       _proposal_data(form, picture))
            if ok:
                flash(_("Your proposal is published."), "success")
                return redirect(url_for("processes.proposal", proposal_id=proposal.id))
        else:
            form.similar_seen.data = "1"
    return render_template("processes/proposal_form.html", process=process, form=form, proposal=None,
                           similar=similar, picture=None), form_status(form)


@bp.get("/processes/<int:process_id>/similar")
def similar(process_id):
    """HTML fragment for the progressive enhancement of the proposal form."""
    process = services.get_process(process_id, current_user)
    rows = services.similar_proposals(current_user, process, request.args.get("q", "")[:500])
    return render_template("processes/_similar.html", similar=rows, fragment=True)


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    process = p.process
    supported = bool(services.supported_ids(current_user, [p.id]))
    used, limit = services.support_usage(current_user, process)
    return render_template(
        "processes/proposal.html", proposal=p, process=process, history=services.proposal_history(p),
        clarifications=services.clarifications(p), amendments=services.amendments(current_user, p),
        updates=services.implementation_updates(p), versions_count=len(services.versions(p)),
        supported=supported, refusal=services.support_refusal(current_user, p), used=used, limit=limit,
        threshold=services.threshold_needed(process), amendments_open=services.amendments_open(p),
        budget_project=services.budget_project_link(p), support_form=forms.SupportForm(),
        clarification_form=forms.ClarificationForm(), decision_form=forms.AmendmentDecisionForm(),
        labels=services.EVENT_LABELS, states=services.STATE_LABELS, statuses=services.STATUS_LABELS,
        withdraw_allowed=phases.allows("process", process.id, "support") and p.is_open)


@bp.get("/proposals/<int:proposal_id>/versions")
def proposal_versions(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    return render_template("processes/versions.html", proposal=p, versions=services.versions(p))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    require(permissions.is_author(current_user, p), _("Only the author can do this."))
    form = forms.ProposalForm(obj=p if request.method == "GET" else None).setup(p.process)
    if request.method == "GET":
        current = pictures.for_owner("proposal", p.id)
        form.image_alt.data = current.alt if current else ""
    valid = form.validate_on_submit()  # before staging: validation resets the fields' errors
    picture = pictures.stage(form, current_user) if request.method == "POST" else None
    if valid and picture is not None:
        ok, _r = run_service(form, services.edit_proposal, current_user, p, _proposal_data(form, picture))
        if ok:
            flash(_("Your proposal is saved."), "success")
            return redirect(url_for("processes.proposal", proposal_id=p.id))
    return render_template("processes/proposal_form.html", process=p.process, form=form, proposal=p,
                           similar=[], picture=pictures.for_owner("proposal", p.id)), form_status(form)


def _back(p, anchor=None):
    return redirect(safe_next(request.form.get("next"),
                              url_for("processes.proposal", proposal_id=p.id, _anchor=anchor)))


def _flash_errors(form) -> None:
    """Actions posted from the proposal page come back to it: their errors as messages."""
    for message in [*(m for f in form for m in f.errors), *form.form_errors]:
        flash(message, "error")


@bp.post("/proposals/<int:proposal_id>/clarify")
@login_required
def clarify(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    form = forms.ClarificationForm()
    if form.validate_on_submit():
        ok, _r = run_service(form, services.add_clarification, current_user, p, form.text.data)
        if ok:
            flash(_("Your clarification is published."), "success")
            return _back(p, "clarifications")
    _flash_errors(form)
    return _back(p, "clarify")


@bp.route("/proposals/<int:proposal_id>/amend", methods=["GET", "POST"])
@login_required
def amend(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    form = forms.AmendmentForm(data={"title": p.title, "body": p.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        ok, a = run_service(form, services.propose_amendment, current_user, p, form.title.data,
                                  form.body.data, form.explanation.data)
        if ok:
            flash(_("Your amendment is published. The author will accept or reject it."), "success")
            return redirect(url_for("processes.proposal", proposal_id=p.id, _anchor=f"amendment-{a.id}"))
    return render_template("processes/amend.html", proposal=p, form=form), form_status(form)


@bp.post("/amendments/<int:amendment_id>/decide")
@login_required
def decide_amendment(amendment_id):
    a = services.get_amendment(amendment_id)
    p = services.get_proposal(a.proposal_id, current_user)
    form = forms.AmendmentDecisionForm()
    accept = request.form.get("decision") == "accept"
    if form.validate_on_submit():
        ok, _r = run_service(form, services.decide_amendment, current_user, a, accept, form.reason.data)
        if ok:
            flash(_("The amendment is accepted: your text has changed.") if accept
                  else _("The amendment is rejected."), "success")
            return _back(p, f"amendment-{a.id}")
    _flash_errors(form)
    return _back(p, f"amendment-{a.id}")


@bp.post("/proposals/<int:proposal_id>/support")
@login_required
def support(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    form = forms.SupportForm()
    withdraw = request.form.get("action") == "withdraw"
    if withdraw:
        ok, _r = run_service(form, services.withdraw_support, current_user, p)
    else:
        # The page says why someone cannot support (account, verification, phase): a
        # button pressed anyway gets the same message, not an error page.
        refusal = _support_refusal(p)
        if refusal:
            flash(refusal, "error")
            return _back(p, "support")
        ok, _r = run_service(form, services.support_proposal, current_user, p, notify=form.notify.data)
    if not ok:
        _flash_errors(form)
        return _back(p, "support")
    flash(_("Your support is withdrawn.") if withdraw else _("Thank you: your support is counted."), "success")
    return _back(p, "support")


def _support_refusal(p) -> str | None:
    """Why the visitor cannot support ``p`` now, in the order the service checks (None if they can)."""
    allowed = is_contributor(current_user)
    if not allowed:
        return allowed.message
    refusal = services.support_refusal(current_user, p)
    return refusal.message if refusal is not None else None


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id):
    p = services.get_proposal(proposal_id, current_user)
    require(permissions.is_author(current_user, p), _("Only the author can do this."))
    form = forms.WithdrawForm()
    if form.validate_on_submit():
        ok, _r = run_service(form, services.withdraw_proposal, current_user, p, form.reason.data)
        if ok:
            flash(_("Your proposal is withdrawn."), "success")
            return redirect(url_for("processes.proposal", proposal_id=p.id))
    return render_template("processes/withdraw.html", proposal=p, form=form), form_status(form)


@bp.route("/proposals/<int:proposal_id>/official", methods=["GET", "POST"])
@login_required
def official(proposal_id):
    """Officials: mark as being evaluated, answer, post implementation updates,
    turn into a budget project."""
    p = services.get_proposal(proposal_id, current_user)
    require(permissions.can_answer_proposal(current_user, p))
    answer_form = forms.AnswerForm(prefix="answer")
    eval_form = forms.EvaluatingForm(prefix="eval")
    update_form = forms.UpdateForm(prefix="update")
    action = request.form.get("action")
    status = 200
    if request.method == "POST":
        if action == "evaluating" and eval_form.validate_on_submit():
            ok, _r = run_service(eval_form, services.mark_evaluating, current_user, p, eval_form.note.data)
            if ok:
                flash(_("The proposal is marked as being evaluated."), "success")
                return redirect(url_for("processes.proposal", proposal_id=p.id))
        elif action == "answer" and answer_form.validate_on_submit():
            ok, _r = run_service(answer_form, services.answer_proposal, current_user, p,
                                 answer_form.decision.data, answer_form.answer.data)
            if ok:
                flash(_("The official answer is published."), "success")
                return redirect(url_for("processes.proposal", proposal_id=p.id, _anchor="answer"))
        elif action == "update" and update_form.validate_on_submit():
            ok, _r = run_service(update_form, services.add_implementation_update, current_user, p,
                                 update_form.status.data, update_form.progress.data, update_form.note.data)
            if ok:
                flash(_("The implementation update is published."), "success")
                return redirect(url_for("processes.proposal", proposal_id=p.id, _anchor="implementation"))
        elif action == "budget":
            budget_form = FlaskForm()  # a button: a refusal comes back as a message
            ok, _r = run_service(budget_form, services.make_budget_project, current_user, p)
            if ok:
                flash(_("The proposal is now a project of the participatory budget."), "success")
                return redirect(url_for("processes.proposal", proposal_id=p.id))
            _flash_errors(budget_form)
            return redirect(url_for("processes.official", proposal_id=p.id))
        # The form acted on is shown again with its input: 422 invalid, 409 no longer possible.
        acted = {"evaluating": eval_form, "answer": answer_form, "update": update_form}.get(action)
        status = form_status(acted) if acted is not None else 422
    return render_template("processes/official.html", proposal=p, answer_form=answer_form, eval_form=eval_form,
                           update_form=update_form, can_budget=services.can_make_budget_project(p),
                           states=services.STATE_LABELS), status
