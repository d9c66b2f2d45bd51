"""Pages of citizens' assemblies: thin views over civic.assemblies.services."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.accounts.models import District
from civic.assemblies import forms, labels, permissions, services
from civic.assemblies.models import FLOW
from civic.core.export import page_arg
from civic.core.forms import form_status, run_service, select_choices
from civic.core.permissions import require, require_login
from civic.core.time import to_utc, utcnow
from civic.extensions import db

bp = Blueprint("assemblies", __name__, url_prefix="/assemblies")


@bp.context_processor
def _labels():
    return {"ASSEMBLY_STATES": labels.STATE_LABELS, "DECISIONS": labels.DECISION_LABELS,
            "STATUSES": labels.STATUS_LABELS, "now": utcnow()}


# --- public pages ----------------------------------------------------------------------

@bp.get("/")
def index():
    page = page_arg()
    rows, has_next = services.list_assemblies(current_user, page=page)
    return render_template("assemblies/index.html", assemblies=rows, page=page, has_next=has_next)


@bp.get("/<int:assembly_id>")
def show(assembly_id):
    assembly = services.get_assembly(assembly_id, current_user)
    members = services.members_of(assembly)
    mine = services.membership_of(current_user, assembly)
    name_form = None
    if mine is not None:
        name_form = forms.NameShownForm(formdata=None, show_name=mine.show_name)
    return render_template(
        "assemblies/show.html", assembly=assembly, members=members, mine=mine, name_form=name_form,
        sittings=services.sittings_of(assembly), documents=services.documents_of(assembly),
        hearings=services.hearings_of(assembly), groups=services.groups_of(assembly),
        recommendations=services.recommendations_of(current_user, assembly),
        member_names={m.id: m.first_name for m in members if m.show_name and m.first_name})


@bp.get("/recommendations/<int:rec_id>")
def recommendation(rec_id):
    rec = services.get_recommendation(rec_id, current_user)
    return render_template("assemblies/recommendation.html", rec=rec, assembly=rec.assembly,
                           updates=services.updates_of(rec))


@bp.post("/members/<int:member_id>/name")
@login_required
def name_shown(member_id):
    member = services.get_member(member_id)
    assembly = services.get_assembly(member.assembly_id, current_user)
    form = forms.NameShownForm()
    if form.validate_on_submit():
        ok, _m = run_service(form, services.set_name_shown, current_user, member, form.show_name.data)
        if ok:
            flash(_("Your first name is shown.") if member.show_name else _("Your first name is not shown."),
                  "success")
            return redirect(url_for("assemblies.show", assembly_id=assembly.id, _anchor="members"))
    members = services.members_of(assembly)
    return render_template(
        "assemblies/show.html", assembly=assembly, members=members, mine=member, name_form=form,
        sittings=services.sittings_of(assembly), documents=services.documents_of(assembly),
        hearings=services.hearings_of(assembly), groups=services.groups_of(assembly),
        recommendations=services.recommendations_of(current_user, assembly),
        member_names={m.id: m.first_name for m in members if m.show_name and m.first_name}), form_status(form)


# --- staff: create, edit, manage ------------------------------------------------------------

def _districts():
    return db.session.scalars(db.select(District).order_by(District.code)).all()


def _assembly_form(**kwargs) -> forms.AssemblyForm:
    form = forms.AssemblyForm(**kwargs)
    form.district_id.choices = select_choices([("", _("The whole city"))] + [(d.id, d.name) for d in _districts()])
    return form


def _assembly_data(form) -> services.AssemblyData:
    return services.AssemblyData(title=form.title.data or "", summary=form.summary.data or "",
                                 mandate=form.mandate.data or "", size=form.size.data,
                                 district_id=form.district_id.data, answer_delay_days=form.answer_delay_days.data)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_create_assembly(current_user))
    form = _assembly_form()
    if form.validate_on_submit():
        ok, assembly = run_service(form, services.create_assembly, current_user, _assembly_data(form))
        if ok:
            flash(_("The assembly is created as a draft."), "success")
            return redirect(url_for("assemblies.manage", assembly_id=assembly.id))
    return render_template("assemblies/admin/form.html", form=form, assembly=None), form_status(form)


def _manageable(assembly_id):
    assembly = services.get_assembly(assembly_id, current_user)
    require_login(current_user)
    require(permissions.can_manage_assembly(current_user, assembly))
    return assembly


@bp.route("/<int:assembly_id>/edit", methods=["GET", "POST"])
@login_required
def edit(assembly_id):
    assembly = _manageable(assembly_id)
    form = _assembly_form(obj=assembly)
    if form.validate_on_submit():
        ok, _a = run_service(form, services.update_assembly, current_user, assembly, _assembly_data(form))
        if ok:
            flash(_("The assembly is saved."), "success")
            return redirect(url_for("assemblies.manage", assembly_id=assembly.id))
    return render_template("assemblies/admin/form.html", form=form, assembly=assembly), form_status(form)


def _manage_page(assembly, failed=None):
    """The management page with a fresh form for each section, except the one
    that was just submitted with errors (``failed``: ``(name, form)``), shown
    again with its input and messages."""
    sittings = services.sittings_of(assembly)
    members = services.members_of(assembly)
    groups = services.groups_of(assembly)
    sitting_choices = select_choices([("", _("No particular session"))] + [(s.id, s.title) for s in sittings])
    built = {"sitting": forms.SittingForm, "document": forms.DocumentForm, "hearing": forms.HearingForm,
             "member": forms.MemberForm, "group": forms.GroupForm, "recommendation": forms.RecommendationForm}
    page_forms = {}
    for name, cls in built.items():
        page_forms[name] = failed[1] if failed and failed[0] == name else cls(formdata=None, prefix=name)
    for name in ("document", "hearing"):
        page_forms[name].sitting_id.choices = sitting_choices
    page_forms["group"].member_ids.choices = select_choices(
        [(m.id, m.first_name or _("Member %(n)d", n=i + 1)) for i, m in enumerate(members)])
    page_forms["recommendation"].group_id.choices = select_choices(
        [("", _("The whole assembly"))] + [(g.id, g.name) for g, _ids in groups])
    moves = [(state, labels.MOVE_LABELS[state]) for state in sorted(FLOW[assembly.state], key=list(FLOW).index)]
    status = 200
    if failed:
        status = form_status(failed[1])
    return render_template(
        "assemblies/admin/manage.html", assembly=assembly, sittings=sittings, members=members, groups=groups,
        documents=services.documents_of(assembly), hearings=services.hearings_of(assembly),
        recommendations=services.recommendations_of(current_user, assembly), moves=moves, **page_forms), status


@bp.get("/<int:assembly_id>/manage")
@login_required
def manage(assembly_id):
    return _manage_page(_manageable(assembly_id))


@bp.post("/<int:assembly_id>/state")
@login_required
def move(assembly_id):
    assembly = _manageable(assembly_id)
    form = FlaskForm()  # CSRF only
    if form.validate_on_submit():
        ok, _a = run_service(form, services.move_assembly, current_user, assembly, request.form.get("to", ""))
        if ok:
            flash(_("The assembly is now: %(state)s.", state=labels.STATE_LABELS[assembly.state]), "success")
            return redirect(url_for("assemblies.manage", assembly_id=assembly.id))
    for message in form.form_errors + [m for f in form for m in f.errors]:
        flash(message, "error")
    return _manage_page(assembly)[0], form_status(form)


def _section(assembly_id, name, cls, call):
    """POST of one section of the management page: validate, run the service, go back."""
    assembly = _manageable(assembly_id)
    # Prefixed: the management page holds all the section forms, field ids stay unique.
    form = cls(prefix=name)
    if name in ("document", "hearing"):
        form.sitting_id.choices = []
    if form.validate_on_submit():
        ok, _r = run_service(form, call, assembly, form)
        if ok:
            flash(_("Saved."), "success")
            return redirect(url_for("assemblies.manage", assembly_id=assembly.id, _anchor=name))
    return _manage_page(assembly, (name, form))


def _moment(day, time) -> datetime | None:
    return to_utc(datetime.combine(day, time)) if day and time else None


@bp.post("/<int:assembly_id>/sittings")
@login_required
def add_sitting(assembly_id):
    return _section(assembly_id, "sitting", forms.SittingForm, lambda a, f: services.add_sitting(
        current_user, a, f.title.data or "", _moment(f.day.data, f.starts.data), _moment(f.day.data, f.ends.data),
        f.place.data or "", f.summary.data or ""))


@bp.post("/<int:assembly_id>/documents")
@login_required
def add_document(assembly_id):
    return _section(assembly_id, "document", forms.DocumentForm, lambda a, f: services.add_document(
        current_user, a, f.title.data or "", f.description.data or "", f.url.data or "", f.sitting_id.data))


@bp.post("/<int:assembly_id>/hearings")
@login_required
def add_hearing(assembly_id):
    return _section(assembly_id, "hearing", forms.HearingForm, lambda a, f: services.add_hearing(
        current_user, a, f.expert.data or "", f.topic.data or "", f.affiliation.data or "", f.summary.data or "",
        f.sitting_id.data))


@bp.post("/<int:assembly_id>/members")
@login_required
def add_member(assembly_id):
    return _section(assembly_id, "member", forms.MemberForm, lambda a, f: services.add_member(
        current_user, a, f.first_name.data or "", f.email.data or "", f.show_name.data))


@bp.post("/<int:assembly_id>/groups")
@login_required
def add_group(assembly_id):
    return _section(assembly_id, "group", forms.GroupForm, lambda a, f: services.add_group(
        current_user, a, f.name.data or "", f.remit.data or "", f.member_ids.data or []))


@bp.post("/<int:assembly_id>/recommendations")
@login_required
def add_recommendation(assembly_id):
    return _section(assembly_id, "recommendation", forms.RecommendationForm,
                    lambda a, f: services.adopt_recommendation(current_user, a, services.RecommendationData(
                        title=f.title.data or "", body=f.body.data or "", votes_for=f.votes_for.data,
                        votes_against=f.votes_against.data, votes_abstain=f.votes_abstain.data,
                        adopted_on=f.adopted_on.data, group_id=f.group_id.data)))


# --- officials: answer and follow-up ---------------------------------------------------------

def _answerable(rec_id):
    rec = services.get_recommendation(rec_id, current_user)
    require_login(current_user)
    require(permissions.can_answer_recommendation(current_user, rec))
    return rec


def _official_page(rec, answer_form=None, update_form=None, status=200):
    return render_template(
        "assemblies/official.html", rec=rec, assembly=rec.assembly, updates=services.updates_of(rec),
        answer_form=answer_form or forms.AnswerForm(formdata=None),
        update_form=update_form or forms.UpdateForm(formdata=None)), status


@bp.get("/recommendations/<int:rec_id>/official")
@login_required
def official(rec_id):
    return _official_page(_answerable(rec_id))


@bp.post("/recommendations/<int:rec_id>/answer")
@login_required
def answer(rec_id):
    rec = _answerable(rec_id)
    form = forms.AnswerForm()
    if form.validate_on_submit():
        ok, _r = run_service(form, services.answer_recommendation, current_user, rec, form.decision.data or "",
                             form.answer.data or "")
        if ok:
            flash(_("The official answer is published."), "success")
            return redirect(url_for("assemblies.recommendation", rec_id=rec.id))
    return _official_page(rec, answer_form=form, status=form_status(form))


@bp.post("/recommendations/<int:rec_id>/updates")
@login_required
def add_update(rec_id):
    rec = _answerable(rec_id)
    form = forms.UpdateForm()
    if form.validate_on_submit():
        ok, _u = run_service(form, services.add_implementation_update, current_user, rec, form.status.data or "",
                             form.progress.data, form.note.data or "")
        if ok:
            flash(_("The implementation update is published."), "success")
            return redirect(url_for("assemblies.recommendation", rec_id=rec.id, _anchor="implementation"))
    return _official_page(rec, update_form=form, status=form_status(form))
