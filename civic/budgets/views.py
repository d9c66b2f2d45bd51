"""Budget pages: thin views over civic.budgets.services."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.core import phases, pictures
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied
from civic.core.export import page_arg
from civic.core.forms import form_status, run_service, select_choices
from civic.core.inputs import as_id
from civic.core.permissions import require
from civic.core.time import start_of_day
from civic.extensions import db

from . import forms, permissions, services
from .explain import explain
from .models import (
    IMPLEMENTATION_LABELS,
    PROJECT_STATUS_LABELS,
    SELECTION_RULE_LABELS,
    BudgetEdition,
    Envelope,
    Project,
    ProjectStatus,
    ProjectUpdate,
    VoteRule,
)

bp = Blueprint("budgets", __name__, url_prefix="/budgets")

PAGE_SIZE = 20


def _edition(edition_id: int) -> BudgetEdition:
    edition = services.get_edition(edition_id, with_envelopes=True)
    if not permissions.can_view_edition(current_user, edition):
        raise NotFound()  # a draft: nobody but its managers learns it exists
    return edition


def _project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not permissions.can_view_project(current_user, project):
        raise NotFound()
    return project


def _envelope(edition: BudgetEdition, envelope_id: int) -> Envelope:
    envelope = next((e for e in edition.envelopes if e.id == envelope_id), None)
    if envelope is None:
        raise NotFound()
    return envelope


def _labels():
    return {"phase": services.phase_label, "project_status": PROJECT_STATUS_LABELS,
            "implementation": IMPLEMENTATION_LABELS, "selection": SELECTION_RULE_LABELS}


# --- editions -----------------------------------------------------------------------

@bp.get("/")
def index():
    page = page_arg()
    stmt = sa.select(BudgetEdition)
    if not permissions.can_manage_edition(current_user):
        stmt = stmt.where(BudgetEdition.published_at.is_not(None))
    editions = db.session.scalars(stmt.order_by(BudgetEdition.id.desc())
                                  .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    ids = [e.id for e in editions[:PAGE_SIZE]]
    current = {p.owner_id: p for p in db.session.scalars(sa.select(phases.Phase).where(
        phases.Phase.owner_kind == services.KIND, phases.Phase.owner_id.in_(ids),
        phases.Phase.is_current.is_(True)))} if ids else {}
    return render_template("budgets/index.html", editions=editions[:PAGE_SIZE], current=current, page=page,
                           has_next=len(editions) > PAGE_SIZE, labels=_labels())


@bp.get("/<int:edition_id>")
def edition(edition_id):
    edition = _edition(edition_id)
    phase_list = phases.phases_for(services.KIND, edition.id)
    current = next((p for p in phase_list if p.is_current), None)
    voting_open = phases.allows(services.KIND, edition.id, "vote")
    submitting = phases.allows(services.KIND, edition.id, "submit")
    counts = dict(db.session.execute(sa.select(Project.envelope_id, sa.func.count()).where(
        Project.edition_id == edition.id, Project.hidden.is_(False)).group_by(Project.envelope_id)).all())
    show_turnout = current is not None and current.code in ("voting", "results", "implementation")
    my_envelopes = []
    if voting_open and current_user.is_authenticated:
        my_envelopes = [e for e in edition.envelopes if services.voting_problem(current_user, e) is None]
    return render_template(
        "budgets/edition.html", edition=edition, phases=phase_list, current=current, voting_open=voting_open,
        submitting=submitting, counts=counts, turnout=services.turnout(edition) if show_turnout else None,
        my_envelopes=my_envelopes, progress=services.edition_progress(edition), labels=_labels())


@bp.get("/<int:edition_id>/projects")
def projects(edition_id):
    edition = _edition(edition_id)
    page = page_arg()
    stmt = services.visible_projects_query(edition.id, current_user)
    envelope_id = as_id(request.args.get("envelope"))
    status = request.args.get("status", "")
    if envelope_id:
        stmt = stmt.where(Project.envelope_id == envelope_id)
    if status in {s.value for s in ProjectStatus}:
        stmt = stmt.where(Project.status == ProjectStatus(status))
    elif status == "selected":
        stmt = stmt.where(Project.selected.is_(True))
    rows = db.session.scalars(stmt.order_by(Project.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    args = {k: v for k, v in {"envelope": envelope_id, "status": status}.items() if v}
    return render_template("budgets/projects.html", edition=edition, projects=rows[:PAGE_SIZE], page=page,
                           has_next=len(rows) > PAGE_SIZE, args=args, envelope_id=envelope_id, status=status,
                           labels=_labels())


@bp.route("/<int:edition_id>/projects/new", methods=["GET", "POST"])
@login_required
def new_project(edition_id):
    edition = _edition(edition_id)
    form = forms.ProjectForm()
    form.envelope_id.choices = select_choices([("", _("Choose…"))] + [(str(e.id), e.name) for e in edition.envelopes])
    if request.method == "GET" and len(edition.envelopes) == 1:
        form.envelope_id.data = edition.envelopes[0].id
    valid = form.validate_on_submit()  # before staging: validation resets the fields' errors
    picture = pictures.stage(form, current_user) if request.method == "POST" else None
    if valid and picture is not None:
        ok, project = run_service(
            form, services.submit_project, current_user, edition, envelope_id=form.envelope_id.data,
            title=form.title.data, description=form.description.data, estimated_cost=form.estimated_cost.data,
            location=form.location.data or "", picture=picture)
        if ok:
            flash(_("Your project is submitted. The city will review its feasibility and cost."), "success")
            return redirect(url_for("budgets.project", project_id=project.id))
    return render_template("budgets/project_form.html", edition=edition, form=form), form_status(form)


@bp.get("/projects/<int:project_id>")
def project(project_id):
    return _render_project(_project(project_id))


def _render_project(project, *, review_form=None, merge_form=None, update_form=None, status=200):
    edition = project.edition
    ctx = {}
    if permissions.can_review_project(current_user, project):
        ctx["review_form"] = review_form or forms.ReviewForm(prefix="review", formdata=None,
                                                             final_cost=project.cost)
        mf = merge_form or forms.MergeForm(prefix="merge", formdata=None)
        others = db.session.scalars(sa.select(Project).where(
            Project.envelope_id == project.envelope_id, Project.id != project.id,
            Project.status != ProjectStatus.MERGED, Project.hidden.is_(False)).order_by(Project.title)).all()
        mf.into_id.choices = select_choices([("", _("Choose…"))] + [(str(p.id), p.title) for p in others])
        ctx["merge_form"] = mf
        if project.implementation_status is not None:
            ctx["update_form"] = update_form or forms.UpdateForm(
                prefix="update", formdata=None, status=project.implementation_status.value,
                progress=project.progress)
    updates = db.session.scalars(sa.select(ProjectUpdate).where(ProjectUpdate.project_id == project.id)
                                 .order_by(ProjectUpdate.created_at.desc(), ProjectUpdate.id.desc())).all()
    return render_template("budgets/project.html", project=project, edition=edition, updates=updates,
                           picture=pictures.for_owner(services.PROJECT_KIND, project.id), labels=_labels(),
                           frozen=edition.rules_frozen, **ctx), status


@bp.route("/projects/<int:project_id>/picture", methods=["GET", "POST"])
@login_required
def project_picture(project_id):
    """Replace, remove or re-describe a project's picture."""
    project = _project(project_id)
    require(permissions.can_change_project_image(current_user, project))
    if project.edition.rules_frozen:
        raise InvalidTransition(_("Voting has opened: the list of projects cannot change."))
    current = pictures.for_owner(services.PROJECT_KIND, project.id)
    form = forms.PictureForm()
    if request.method == "GET":
        form.image_alt.data = current.alt if current else ""
    valid = form.validate_on_submit()  # before staging: validation resets the fields' errors
    picture = pictures.stage(form, current_user) if request.method == "POST" else None
    if valid and picture is not None:
        ok, _r = run_service(form, services.set_project_picture, current_user, project, picture)
        if ok:
            flash(_("The project's image is saved."), "success")
            return redirect(url_for("budgets.project", project_id=project.id))
    return render_template("budgets/project_picture.html", project=project, form=form,
                           picture=current), form_status(form)


def _project_action(project_id: int, form_class, prefix: str, call, done: str):
    """An official's form on the project page: ``call(project, form)`` runs
    the service; on success back to the project, else the page again with
    the form, its input and the reasons."""
    project = _project(project_id)
    form = form_class(prefix=prefix)
    if form.validate_on_submit():
        ok, _r = run_service(form, call, project, form)
        if ok:
            flash(done, "success")
            return redirect(url_for("budgets.project", project_id=project.id))
    return _render_project(project, status=form_status(form), **{f"{prefix}_form": form})


@bp.post("/projects/<int:project_id>/review")
@login_required
def review(project_id):
    return _project_action(project_id, forms.ReviewForm, "review", lambda project, form: services.review_project(
        current_user, project, feasible=form.decision.data == "feasible", reason=form.reason.data or "",
        final_cost=form.final_cost.data), _("The review is saved and the author is notified."))


@bp.post("/projects/<int:project_id>/merge")
@login_required
def merge(project_id):
    def call(project, form):
        into = db.session.get(Project, form.into_id.data) if form.into_id.data else None
        return services.merge_project(current_user, project, into, form.note.data)
    return _project_action(project_id, forms.MergeForm, "merge", call,
                           _("The projects are merged and the author is notified."))


@bp.post("/projects/<int:project_id>/updates")
@login_required
def add_update(project_id):
    return _project_action(project_id, forms.UpdateForm, "update", lambda project, form: services.record_update(
        current_user, project, status=form.status.data, progress=form.progress.data, body=form.body.data or "",
        cancel_reason=form.cancel_reason.data or ""), _("The update is published and followers are notified."))


# --- voting --------------------------------------------------------------------------

def _read_choice(edition: BudgetEdition, projects: list[Project]) -> tuple[list[int], list[int] | None, dict]:
    """The voter's choice from the form, per rule. Returns ids, points and the
    raw values to re-display."""
    valid = {p.id for p in projects}
    raw: dict = {}
    if edition.vote_rule == VoteRule.CUMULATIVE:
        ids, points = [], []
        for p in projects:
            value = (request.form.get(f"points-{p.id}") or "").strip()
            raw[p.id] = value
            if not value:
                continue
            try:
                n = int(value)
            except ValueError:
                n = -1  # reported as "whole numbers" by the feedback
            if n == 0:
                continue
            ids.append(p.id)
            points.append(n)
        return ids, points, raw
    if edition.vote_rule == VoteRule.RANKING:
        ids = []
        for k in range(1, (edition.rank_max or 0) + 1):
            value = request.form.get(f"rank-{k}", "")
            raw[k] = value
            if value.isdigit() and int(value) in valid:
                ids.append(int(value))
        return ids, None, raw
    ids = [int(v) for v in request.form.getlist("project") if v.isdigit()]
    raw = {i: True for i in ids}
    return ids, None, raw


def _ballot_raw(edition, ballot) -> dict:
    if ballot is None:
        return {}
    if edition.vote_rule == VoteRule.CUMULATIVE:
        return {pid: str(n) for pid, n in zip(ballot.project_ids, ballot.points or [], strict=False)}
    if edition.vote_rule == VoteRule.RANKING:
        return {k: str(pid) for k, pid in enumerate(ballot.project_ids, start=1)}
    return {pid: True for pid in ballot.project_ids}


@bp.route("/<int:edition_id>/vote/<int:envelope_id>", methods=["GET", "POST"])
@login_required
def vote(edition_id, envelope_id):
    edition = _edition(edition_id)
    envelope = _envelope(edition, envelope_id)
    projects = services.ballot_projects(envelope)
    form = forms.BallotForm()
    ballot = services.my_ballot(current_user, envelope)
    problem = services.voting_problem(current_user, envelope)
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        ids, points, raw = _read_choice(edition, projects)
        if request.form.get("action") == "submit" and problem is not None:
            form.form_errors.append(problem)
            status = 403
        elif request.form.get("action") == "submit":
            try:
                ok, _b = run_service(form, services.cast_ballot, current_user, envelope, ids, points)
            except PermissionDenied as err:
                # Refused under the voting lock (voting closed meanwhile, or a
                # paper ballot exists): the ballot page says why, choices kept.
                db.session.rollback()
                form.form_errors.append(err.message)
                form.error_status = err.status
                ok = False
            if ok:
                flash(_("Your vote is recorded. We sent you a confirmation by email. You can change it until voting closes."),
                      "success")
                return redirect(url_for("budgets.vote", edition_id=edition.id, envelope_id=envelope.id, done=1))
            status = form_status(form)
        checked = True
    else:
        ids, points = (list(ballot.project_ids), ballot.points) if ballot else ([], None)
        raw = _ballot_raw(edition, ballot)
        checked = False
    feedback = services.ballot_feedback(edition, envelope, projects, ids, points)
    return render_template("budgets/vote.html", edition=edition, envelope=envelope, projects=projects, form=form,
                           ballot=ballot, problem=problem, feedback=feedback, raw=raw, checked=checked,
                           labels=_labels()), status


@bp.route("/<int:edition_id>/paper/<int:envelope_id>", methods=["GET", "POST"])
@login_required
def paper(edition_id, envelope_id):
    edition = _edition(edition_id)
    envelope = _envelope(edition, envelope_id)
    require(permissions.can_enter_paper_ballot(current_user, envelope))
    projects = services.ballot_projects(envelope)
    form = forms.PaperBallotForm()
    ids, points, raw = ([], None, {})
    status = 200
    if request.method == "POST":
        ids, points, raw = _read_choice(edition, projects)
        if form.validate_on_submit():
            ok, _b = run_service(
                form, services.enter_paper_ballot, current_user, envelope, reference=form.reference.data,
                last_name=form.last_name.data, first_name=form.first_name.data, birth_date=form.birth_date.data,
                postcode=form.postcode.data, project_ids=ids, points=points, email=form.email.data or "")
            if ok:
                flash(_("The paper ballot %(ref)s is recorded.", ref=form.reference.data), "success")
                return redirect(url_for("budgets.paper", edition_id=edition.id, envelope_id=envelope.id))
        status = form_status(form)
    feedback = services.ballot_feedback(edition, envelope, projects, ids, points)
    return render_template("budgets/paper.html", edition=edition, envelope=envelope, projects=projects, form=form,
                           feedback=feedback, raw=raw, labels=_labels(),
                           voting_open=phases.allows(services.KIND, edition.id, "vote")), status


# --- results -------------------------------------------------------------------------

def result_tables(edition: BudgetEdition, envelope_id: int | None = None) -> list[dict]:
    """Per envelope (or just ``envelope_id``): ranked rows with the
    plain-language reason, and the comparison with the other rule."""
    results = services.results_for(edition)
    projects = {p.id: p for p in db.session.scalars(sa.select(Project).where(Project.edition_id == edition.id))}

    def name_of(pid):
        p = projects.get(int(pid)) if str(pid).isdigit() else None
        return p.title if p else str(pid)

    tables = []
    for envelope in edition.envelopes:
        if envelope_id is not None and envelope.id != envelope_id:
            continue
        by_rule = results.get(envelope.id, {})
        official = by_rule.get(edition.selection_rule)
        if official is None:
            continue
        other = by_rule.get(edition.other_rule)
        rows = []
        for pid, record in official.explanations.items():
            p = projects.get(int(pid))
            if p is None:
                continue
            rows.append({"project": p, "score": official.scores.get(pid, 0),
                         "supporters": official.supporters.get(pid, 0), "cost": record.get("cost", p.cost),
                         "selected": pid in official.selected,
                         "reason": explain(record, edition.currency, name_of),
                         "other_selected": other is not None and pid in other.selected})
        rows.sort(key=lambda r: (-r["score"], r["cost"], r["project"].id))
        tables.append({"envelope": envelope, "result": official, "other": other, "rows": rows,
                       "only_official": [r["project"] for r in rows if r["selected"] and not r["other_selected"]],
                       "only_other": [r["project"] for r in rows if r["other_selected"] and not r["selected"]]})
    return tables


@bp.get("/<int:edition_id>/results")
def results(edition_id):
    edition = _edition(edition_id)
    if not permissions.can_see_results(current_user, edition):
        return render_template("budgets/results.html", edition=edition, tables=None, labels=_labels()), 200
    # One envelope per page when there are many: the page stays light.
    envelope_id = as_id(request.args.get("envelope"))
    if envelope_id is None and len(edition.envelopes) > 3:
        envelope_id = edition.envelopes[0].id
    return render_template("budgets/results.html", edition=edition, tables=result_tables(edition, envelope_id),
                           envelope_id=envelope_id, labels=_labels())


@bp.post("/<int:edition_id>/publish")
@login_required
def publish(edition_id):
    edition = _edition(edition_id)
    services.publish_results(current_user, edition)
    db.session.commit()
    flash(_("The results are published."), "success")
    return redirect(url_for("budgets.results", edition_id=edition.id))


# --- administration of an edition --------------------------------------------------------

def _rules_params(form) -> services.RuleParams:
    return services.RuleParams(
        vote_rule=form.vote_rule.data, selection_rule=form.selection_rule.data, min_choices=form.min_choices.data,
        max_choices=form.max_choices.data, min_spend_percent=form.min_spend_percent.data,
        points_total=form.points_total.data, points_max_per_project=form.points_max_per_project.data,
        rank_max=form.rank_max.data)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_edition():
    require(permissions.can_manage_edition(current_user))
    form = forms.EditionForm()
    if form.validate_on_submit():
        starts = {code: start_of_day(getattr(form, code).data)
                  for code in services.PHASE_CODES if getattr(form, code).data}
        ok, edition = run_service(form, services.create_edition, current_user, title=form.title.data,
                                      description=form.description.data or "", total_amount=form.total_amount.data,
                                      currency=form.currency.data, rules=_rules_params(form), phase_starts=starts)
        if ok:
            flash(_("The edition is saved as a draft: add its envelopes, then publish it."), "success")
            return redirect(url_for("budgets.manage", edition_id=edition.id))
    return render_template("budgets/edition_form.html", form=form), form_status(form)


@bp.post("/<int:edition_id>/publish-edition")
@login_required
def publish_edition(edition_id):
    edition = _edition(edition_id)
    form = FlaskForm()
    ok, _e = run_service(form, services.publish_edition, current_user, edition)
    if ok:
        flash(_("The edition is published: residents can see it."), "success")
    else:
        flash(" ".join(form.form_errors), "error")
    return redirect(url_for("budgets.manage", edition_id=edition.id))


@bp.route("/<int:edition_id>/manage", methods=["GET", "POST"])
@login_required
def manage(edition_id):
    edition = _edition(edition_id)
    require(permissions.can_manage_edition(current_user, edition))
    action = request.form.get("action")
    rules_form = forms.RulesForm(prefix="rules", obj=edition if request.method == "GET" else None)
    if request.method == "GET":
        rules_form.vote_rule.data = edition.vote_rule.value
        rules_form.selection_rule.data = edition.selection_rule.value
    envelope_form = forms.EnvelopeForm(prefix="envelope")
    phase_form = forms.MovePhaseForm(prefix="phase")
    phase_list = phases.phases_for(services.KIND, edition.id)
    phase_form.phase_id.choices = select_choices([("", _("Choose…"))]
                                                 + [(str(p.id), services.phase_label(p.code)) for p in phase_list])
    status = 200
    if request.method == "POST":
        actions = {
            "rules": (rules_form, lambda: services.update_rules(current_user, edition, _rules_params(rules_form)),
                      _("The rules are saved.")),
            "envelope": (envelope_form, lambda: services.set_envelope(
                current_user, edition, envelope_form.district_id.data, envelope_form.amount.data),
                _("The envelope is saved.")),
            "phase": (phase_form, lambda: services.move_phase(
                current_user, edition, phase_form.phase_id.data, phase_form.reason.data),
                _("The phase has been moved.")),
        }
        form, call, done = actions.get(action, (None, None, None))
        if form is not None and form.validate_on_submit():
            ok, _r = run_service(form, call)
            if ok:
                flash(done, "success")
                return redirect(url_for("budgets.manage", edition_id=edition.id))
        status = max(form_status(f) for f in (rules_form, envelope_form, phase_form))
    return render_template("budgets/manage.html", edition=edition, rules_form=rules_form,
                           envelope_form=envelope_form, phase_form=phase_form, phases=phase_list,
                           labels=_labels()), status
