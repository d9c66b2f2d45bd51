"""Administration (roles, districts, census, settings, audit log) and the
mediators' counter (in-person verification)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from civic.accounts import backoffice, forms, services
from civic.accounts.models import District, User, UserRole
from civic.accounts.permissions import can_manage_accounts, can_open_back_office, can_use_counter
from civic.core import content
from civic.core import settings as settings_mod
from civic.core.errors import NotFound
from civic.core.export import page_arg
from civic.core.forms import form_status, run_service, select_choices
from civic.core.inputs import as_id
from civic.core.models import AuditEntry
from civic.core.permissions import require, require_login
from civic.extensions import db

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")
mediation_bp = Blueprint("mediation", __name__, url_prefix="/counter")

PAGE_SIZE = 50


@admin_bp.before_request
@login_required
def _staff_only():
    # The back office's front page and its figures are every staff member's; the
    # pages behind it (people, roles, districts, census, settings, audit) are the admins'.
    require_login(current_user)
    require(can_open_back_office(current_user))
    if request.endpoint not in ("admin.index", "admin.figures"):
        require(can_manage_accounts(current_user))


@admin_bp.get("/")
def index():
    """The back office: what needs doing now, every space the person runs,
    what they may create, and the figures of the last twelve months."""
    counts = None
    if can_manage_accounts(current_user):
        counts = {
            "users": db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.deleted_at.is_(None))),
            "districts": db.session.scalar(sa.select(sa.func.count()).select_from(District)),
        }
    kind, state = (request.args.get("kind") or "").strip(), (request.args.get("state") or "").strip()
    return render_template("admin/index.html", counts=counts, attention=backoffice.attention_rows(current_user),
                           spaces=backoffice.spaces(current_user, kind, state, page_arg()), kind=kind, state=state,
                           create_links=content.create_links(current_user))


@admin_bp.get("/figures")
def figures():
    """Participation of the last twelve months, by month and by district: a
    page of its own, since seven charts and their tables would take the
    front page past its weight budget on a real city's data."""
    return render_template("admin/figures.html", figures=backoffice.figures(), chart=backoffice)


@admin_bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip().lower()
    page = page_arg()
    stmt = sa.select(User).where(User.deleted_at.is_(None))
    if q:
        stmt = stmt.where(sa.or_(User.email.contains(q), sa.func.lower(User.display_name).contains(q)))
    rows = db.session.scalars(stmt.order_by(User.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return render_template("admin/users.html", users=rows[:PAGE_SIZE], q=q, page=page, has_next=len(rows) > PAGE_SIZE)


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    form = forms.GrantRoleForm()
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            revoke = forms.RevokeForm()
            ok, _r = run_service(revoke, services.revoke_role, current_user,
                                 request.form.get("grant_id", 0, type=int), request.form.get("reason", ""))
            if ok:
                flash(_("Role revoked."), "success")
            else:
                flash(" ".join(revoke.form_errors + [m for f in revoke for m in f.errors]), "error")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        if form.validate_on_submit():
            ok, _r = run_service(form, services.grant_role, current_user, user, form.role.data,
                                 form.district_id.data, form.reason.data)
            if ok:
                flash(_("Role granted."), "success")
                return redirect(url_for("admin.user_detail", user_id=user.id))
        status = form_status(form)
    history = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.kind == "user", AuditEntry.object_id == user.id).order_by(AuditEntry.id.desc()).limit(50)).all()
    return render_template("admin/user.html", user=user, form=form, history=history), status


@admin_bp.get("/districts")
def districts():
    return render_template("admin/districts.html", districts=services.all_districts())


@admin_bp.route("/districts/new", methods=["GET", "POST"], defaults={"district_id": None})
@admin_bp.route("/districts/<int:district_id>", methods=["GET", "POST"])
def district_edit(district_id):
    district = db.session.get(District, district_id) if district_id else None
    if district_id and district is None:
        raise NotFound()
    form = forms.DistrictForm(obj=district)
    if request.method == "GET" and district:
        form.postcodes.data = ", ".join(district.postcode_list)
    if form.validate_on_submit():
        ok, _d = run_service(form, services.save_district, current_user, district, form.name.data,
                             form.code.data, form.postcodes.data)
        if ok:
            flash(_("District saved."), "success")
            return redirect(url_for("admin.districts"))
    status = form_status(form)
    return render_template("admin/district_form.html", form=form, district=district), status


@admin_bp.route("/census", methods=["GET", "POST"])
def census():
    from civic.accounts.models import CensusBatch

    form = forms.CensusUploadForm()
    if form.validate_on_submit():
        f = form.file.data
        ok, batch = run_service(form, services.upload_census, current_user, f.read(), f.filename or "census.csv")
        if ok:
            flash(_("%(n)d residents imported. Only salted fingerprints were kept.", n=batch.record_count), "success")
            return redirect(url_for("admin.census"))
    batches = db.session.scalars(sa.select(CensusBatch).order_by(CensusBatch.id.desc())).all()
    status = form_status(form)
    return render_template("admin/census.html", form=form, batches=batches, columns=services.CENSUS_COLUMNS), status


def _settings_form(specs):
    class F(forms.SettingsForm):
        def __getattr__(self, name):
            # Service errors name settings by key ("petitions.threshold"); the field is "petitions__threshold".
            fields = self.__dict__.get("_fields") or {}
            if name.replace(".", "__") in fields:
                return fields[name.replace(".", "__")]
            raise AttributeError(name)

    for spec in specs:
        name, help_text = spec.key.replace(".", "__"), spec.help() if spec.help else ""
        if spec.choices is not None:
            setattr(F, name, SelectMultipleField(spec.label(), choices=select_choices(spec.choices()),
                                                 validate_choice=False, description=help_text,
                                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()))
            continue
        field_cls = BooleanField if spec.type is bool else IntegerField if spec.type is int else StringField
        setattr(F, name, field_cls(spec.label(), validators=[Optional()], description=help_text))
    return F


def _entered(field) -> str | None:
    if isinstance(field.data, list):  # a set of choices
        return ",".join(field.data)
    if field.data is True:
        return "1"
    if field.data is False:
        return "0"
    return None if field.data is None else str(field.data)


@admin_bp.route("/settings", methods=["GET", "POST"])
def settings():
    specs = settings_mod.specs()
    form = _settings_form(specs)()
    if request.method == "GET":
        for spec in specs:
            value = settings_mod.get_setting(spec.key)
            if spec.choices is not None:
                value = [v for v in str(value or "").split(",") if v]
            getattr(form, spec.key.replace(".", "__")).data = value
    elif form.validate_on_submit():
        entered = {spec.key: _entered(getattr(form, spec.key.replace(".", "__"))) for spec in specs}
        ok, _changed = run_service(form, settings_mod.change_settings, current_user, entered)
        if ok:
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.settings"))
    status = form_status(form)
    fields = [(spec, getattr(form, spec.key.replace(".", "__"))) for spec in specs]
    return render_template("admin/settings.html", form=form, fields=fields), status


@admin_bp.get("/audit")
def audit_log():
    args = request.args
    page = max(1, args.get("page", 1, type=int))
    stmt = sa.select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.actor_id)
    if args.get("action"):
        stmt = stmt.where(AuditEntry.action.startswith(args["action"]))
    if args.get("kind"):
        stmt = stmt.where(AuditEntry.kind == args["kind"])
    if as_id(args.get("object_id")):
        stmt = stmt.where(AuditEntry.object_id == as_id(args.get("object_id")))
    if as_id(args.get("actor")):
        stmt = stmt.where(AuditEntry.actor_id == as_id(args.get("actor")))
    for name, op in (("since", "ge"), ("until", "lt")):
        if args.get(name):
            try:
                day = datetime.strptime(args[name], "%Y-%m-%d")
            except ValueError:
                abort(400)
            if op == "ge":
                stmt = stmt.where(AuditEntry.created_at >= day)
            else:
                stmt = stmt.where(AuditEntry.created_at < day + timedelta(days=1))
    rows = db.session.execute(stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    actions = db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template("admin/audit.html", rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE,
                           actions=actions, args=args)


@admin_bp.route("/roll", methods=["GET", "POST"])
def electoral_roll():
    """The roll in force, the history of imports, and the upload of a new export."""
    from civic.accounts import roll, roll_import
    from civic.accounts.models import ElectoralRoll

    form = forms.RollUploadForm()
    if form.validate_on_submit():
        f = form.file.data
        ok, token = run_service(form, roll_import.store_upload, current_user, f.stream, f.filename or "")
        if ok:
            return redirect(url_for("admin.roll_mapping", token=token))
    history = db.session.scalars(sa.select(ElectoralRoll).order_by(ElectoralRoll.imported_at.desc(),
                                                                   ElectoralRoll.id.desc()).limit(50)).all()
    return render_template("admin/roll.html", form=form, in_force=roll.roll_in_force(),
                           history=history), form_status(form)


@admin_bp.route("/roll/import/<token>", methods=["GET", "POST"])
def roll_mapping(token):
    """Map the columns of an uploaded export, preview, then import."""
    from civic.accounts import roll_import
    from civic.core.errors import ValidationError

    upload = roll_import.load_upload(current_user, token)
    form = forms.RollMappingForm(upload.header)
    if request.method == "GET":
        for name, index in roll_import.guess_mapping(upload.header).items():
            getattr(form, name).data = index
    result, status = None, 200
    action = request.form.get("action")
    if request.method == "POST" and action == "cancel" and form.validate_on_submit():
        roll_import.discard_upload(upload)
        flash(_("The uploaded file is deleted."), "success")
        return redirect(url_for("admin.electoral_roll"))
    if request.method == "POST" and form.validate_on_submit():
        if action == "confirm":
            ok, new = run_service(form, roll_import.import_upload, current_user, upload, form.mapping())
            if ok:
                flash(_("The electoral roll is in force: %(n)s electors, %(r)s rows refused. The file is deleted.",
                        n=new.elector_count, r=new.refused_count), "success")
                return redirect(url_for("admin.electoral_roll"))
            status = form_status(form)
        else:
            try:
                result = roll_import.preview(upload, form.mapping())
            except ValidationError as err:
                from civic.core.forms import apply_errors

                apply_errors(form, err)
                status = 422
    return render_template("admin/roll_mapping.html", form=form, upload=upload, result=result,
                           labels=roll_import.FIELD_LABELS), status


@admin_bp.route("/letters", methods=["GET", "POST"])
def letters():
    """Letters with a verification code: the requests waiting, and the PDF batch."""
    from flask import Response
    from flask_babel import format_date

    from civic.accounts import postal
    from civic.accounts.models import PostalBatch
    from civic.core.pdf import Letter, letters_pdf
    from civic.core.time import local_day, today
    from civic.core.urls import absolute_url

    form = forms.LetterBatchForm()
    if form.validate_on_submit():
        day = format_date(today(), "long")
        url = absolute_url("accounts.letter")

        def render(rows):
            return letters_pdf([Letter(
                address=lines, date=day, subject=_("Your verification code"),
                body=[_("You asked to check your identity on the participation platform of the city by a letter "
                        "sent to your address. Here is your code."),
                      _("Log in, open “My account”, then “Verify by post”, and type the code. It can be used once, "
                        "until %(date)s. After that date, ask for a new letter.", date=format_date(local_day(expires), "long"))],
                code=code, code_label=_("Your code"), url=url, url_label=_("Type it at"),
                signature=(_("The town hall"),)) for _lt, lines, code, expires in rows],
                title=_("Verification letters"))

        ok, result = run_service(form, postal.make_batch, current_user,
                                 [as_id(v) for v in request.form.getlist("letter") if as_id(v)], render)
        if ok:
            batch, pdf = result
            return Response(pdf, mimetype="application/pdf", headers={
                "Content-Disposition": f'attachment; filename="letters-{batch.id}.pdf"', "Cache-Control": "no-store"})
    batches = db.session.scalars(sa.select(PostalBatch).order_by(PostalBatch.id.desc()).limit(20)).all()
    return render_template("admin/letters.html", form=form, waiting=postal.letters_to_send(),
                           batches=batches), form_status(form)


# --- mediators' counter -------------------------------------------------------

@mediation_bp.before_request
@login_required
def _mediators_only():
    require_login(current_user)
    require(can_use_counter(current_user))


@mediation_bp.route("/", methods=["GET", "POST"])
def counter():
    form = forms.FindPersonForm()
    person = None
    if form.validate_on_submit():
        person = services.find_user_by_email(form.email.data)
        if person is None:
            form.email.errors = [_("No account uses this address. The person can create one at the counter with you.")]
        else:
            return redirect(url_for("mediation.person", user_id=person.id))
    return render_template("accounts/counter.html", form=form,
                           sections=content.counter_sections(current_user)), form_status(form)


@mediation_bp.route("/person/<int:user_id>", methods=["GET", "POST"])
def person(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    form = forms.InPersonVerifyForm(prefix="verify")
    revoke = forms.RevokeForm(prefix="revoke")
    roll_form = forms.RollCheckForm(prefix="roll")
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "roll":
            if roll_form.validate_on_submit():
                from civic.accounts import roll

                ok, _r = run_service(roll_form, roll.check_in_person, current_user, user,
                                     birth_name=roll_form.birth_name.data, given_names=roll_form.given_names.data,
                                     birth_date=roll_form.birth_date.data)
                if ok and _r is None:
                    roll_form.birth_name.errors = [_(
                        "This identity is not on the electoral roll in force. Check the birth name (not the usage "
                        "name), every given name and the date of birth.")]
                    roll_form.error_status = 422
                elif ok:
                    flash(_("%(name)s is on the electoral roll: now a verified elector.", name=user.display_name),
                          "success")
                    return redirect(url_for("mediation.person", user_id=user.id))
            status = form_status(roll_form)
        elif request.form.get("action") == "revoke":
            if revoke.validate_on_submit():
                ok, _r = run_service(revoke, services.revoke_verification, current_user, user, revoke.reason.data)
                if ok:
                    flash(_("The verification has been revoked."), "success")
                    return redirect(url_for("mediation.person", user_id=user.id))
            status = form_status(revoke)
        else:
            if form.validate_on_submit():
                ok, _r = run_service(form, services.verify_in_person, current_user, user, form.district_id.data,
                                     form.note.data)
                if ok:
                    flash(_("%(name)s is now a verified resident.", name=user.display_name), "success")
                    return redirect(url_for("mediation.person", user_id=user.id))
            status = form_status(form)
    from civic.accounts import roll as roll_mod
    from civic.accounts import verification as registry

    return render_template("accounts/person.html", person=user, form=form, revoke=revoke, roll_form=roll_form,
                           verification=user.active_verification, roles=UserRole,
                           verifications=registry.verifications(user), methods=registry.METHODS,
                           elector=roll_mod.elector_hash(user) is not None,
                           roll_in_force=roll_mod.roll_in_force()), status
