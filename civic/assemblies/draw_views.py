"""Pages of the draw: the invited person's reply form (and the mediator's),
the admins' selection page, and the public selection report with its files.

Thin views over ``civic.assemblies.draw_services``; every form runs its
service through ``core.forms.run_service`` and answers ``form_status``."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core.errors import NotFound, PermissionDenied
from civic.core.export import csv_response
from civic.core.forms import form_status, run_service
from civic.core.pdf import Letter, letters_pdf
from civic.core.security import client_ip
from civic.core.time import today
from civic.extensions import db

from . import draw_services as services
from . import permissions
from .labels_draw import ALGORITHM_LABELS, STATE_LABELS
from .models import SelectionState

bp = Blueprint("assemblies_draw", __name__, url_prefix="/assemblies")


class _Input:
    def __init__(self, messages: dict, name: str):
        self._messages, self.id = messages, name

    @property
    def errors(self) -> list[str]:
        return [self._messages[self.id]] if self.id in self._messages else []

    @errors.setter
    def errors(self, messages) -> None:
        self._messages[self.id] = list(messages)[-1]


class PageErrors:
    """The messages of a hand-built form (its inputs are data: the feature
    form, the quota table), shaped as a WTForm for ``run_service``,
    ``form_status`` and the ``error_summary`` macro."""

    def __init__(self, names=()):
        self.errors: dict[str, str] = {}
        self.form_errors: list[str] = []
        self._names = frozenset(names)

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.__dict__.get("_names", ()):
            raise AttributeError(name)
        return _Input(self.errors, name)

    def __iter__(self):
        return iter([SimpleNamespace(id=k, errors=[v]) for k, v in self.errors.items()])


def _file_or_text(name: str):
    upload = request.files.get(name + "_file")
    if upload and upload.filename:
        return upload.read(services.MAX_FILE + 1)
    return request.form.get(name, "")


# --- the reply form: an invited person, or a mediator for them -------------------------

REPLY_FIELDS = ("code", "first_name", "last_name", "email", "phone", "consent")


@bp.route("/<int:assembly_id>/reply", methods=["GET", "POST"])
def reply(assembly_id):
    sel = services.get_selection(assembly_id, current_user)
    mediator = permissions.can_record_interest(current_user, sel)
    if not (mediator or permissions.can_register_interest(current_user, sel)):
        return render_template("assemblies/draw_closed.html", sel=sel, a=sel.assembly), 409
    cats = sel.categories()
    names = [*REPLY_FIELDS, *(f"f{i}" for i in range(len(cats))), *(f"f{i}_consent" for i in range(len(cats)))]
    page = PageErrors(names)
    values = {"code": request.args.get("code", "")}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in names}
        features = {c: request.form.get(f"f{i}", "") for i, c in enumerate(cats)}
        consents = [c for i, c in enumerate(cats) if request.form.get(f"f{i}_consent") == "y"]
        ok, _vol = run_service(page, services.register_interest, current_user, sel, code=values["code"],
                               first_name=values["first_name"], last_name=values["last_name"],
                               email=values["email"], phone=values["phone"], features=features,
                               consents=consents, consent=request.form.get("consent") == "y", ip=client_ip())
        if ok:
            if mediator:
                flash(_("The interest is recorded. The person is in the pool of volunteers."), "success")
                return redirect(url_for("assemblies_draw.reply", assembly_id=sel.assembly_id))
            return render_template("assemblies/draw_thanks.html", sel=sel, a=sel.assembly)
    return render_template("assemblies/draw_reply.html", sel=sel, a=sel.assembly, cats=cats, errors=page.errors,
                           summary=page, values=values, mediator=mediator), form_status(page)


# --- the public report and its files ----------------------------------------------------

@bp.get("/<int:assembly_id>/selection")
def report(assembly_id):
    sel = services.get_selection(assembly_id, current_user)
    if not permissions.can_view_selection_report(current_user, sel):
        raise NotFound()
    return render_template("assemblies/draw_report.html", sel=sel, a=sel.assembly, r=sel.report,
                           counts=services.counts(sel), states=STATE_LABELS, algorithms=ALGORITHM_LABELS,
                           manage=permissions.can_manage_selection(current_user, sel.assembly),
                           pct=lambda x: format_percent(x, "#,##0.0 %"), prob=lambda x: format_decimal(x, "0.0000"))


def _frozen(assembly_id):
    sel = services.get_selection(assembly_id, current_user)
    if sel.state == SelectionState.OPEN or not sel.respondents_csv:
        raise NotFound(_("The pool is published with the seed's commitment."))
    return sel


def _raw_csv(filename: str, text: str) -> Response:
    # Already the exact bytes the draw read: served as is, so that recomputing gives the same panel.
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "public, max-age=300"})


@bp.get("/<int:assembly_id>/selection/respondents.csv")
def respondents_file(assembly_id):
    sel = _frozen(assembly_id)
    return _raw_csv(f"assembly-{assembly_id}-respondents.csv", sel.respondents_csv)


@bp.get("/<int:assembly_id>/selection/categories.csv")
def categories_file(assembly_id):
    sel = _frozen(assembly_id)
    return _raw_csv(f"assembly-{assembly_id}-categories.csv", sel.categories_csv)


@bp.get("/<int:assembly_id>/selection/profiles.csv")
def profiles_file(assembly_id):
    sel = _frozen(assembly_id)
    if not sel.report:
        raise NotFound(_("The probabilities are published with the draw."))
    cats = sel.report["categories"]
    return csv_response(f"assembly-{assembly_id}-profiles.csv", [*cats, "people", "probability"],
                        ([*p["profile"], p["people"], f"{p['probability']:.6f}"] for p in sel.report["profiles"]))


# --- the admins' page ------------------------------------------------------------------------

MANAGE_FIELDS = ("addresses", "count", "seed", "categories", "respondents", "algorithm", "sensitive",
                 "volunteer_id")


def _managed(assembly_id):
    a = services.get_assembly(assembly_id, current_user)
    if not permissions.can_manage_selection(current_user, a):
        raise PermissionDenied()
    return a


def _manage_page(a, sel, page: PageErrors | None = None, values=None):
    page = page or PageErrors()
    volunteers = services.pool(sel) if sel else []
    return render_template("assemblies/draw_manage.html", a=a, sel=sel, errors=page.errors, summary=page,
                           values=values or {}, counts=services.counts(sel) if sel else None,
                           volunteers=volunteers, states=STATE_LABELS, algorithms=ALGORITHM_LABELS,
                           code_length=services.CODE_LENGTH), form_status(page)


@bp.get("/<int:assembly_id>/selection/manage")
@login_required
def manage(assembly_id):
    a = _managed(assembly_id)
    return _manage_page(a, services.selection_of(a))


@bp.post("/<int:assembly_id>/selection/manage/<action>")
@login_required
def manage_action(assembly_id, action):
    a = _managed(assembly_id)
    sel = services.selection_of(a)
    quota_names = [f"min_{q.id}" for q in sel.quotas] if sel else []
    page = PageErrors([*MANAGE_FIELDS, *quota_names])
    values = dict(request.form)
    if action == "open":
        ok, _r = run_service(page, services.open_selection, current_user, a)
        message = _("The selection is open: import the categories, then draw the invitations.")
    elif sel is None:
        raise NotFound()
    elif action == "invitations":
        ok, _r = run_service(page, services.draw_invitations, current_user, sel, _file_or_text("addresses"),
                             request.form.get("count", ""), request.form.get("seed", ""))
        message = _("The invitations are drawn: print the letters.")
    elif action == "categories":
        ok, _r = run_service(page, services.import_categories, current_user, sel, _file_or_text("categories"))
        message = _("The categories and quotas are imported.")
    elif action == "quotas":
        bounds = {q.id: (request.form.get(f"min_{q.id}", str(q.min)), request.form.get(f"max_{q.id}", str(q.max)))
                  for q in sel.quotas}
        ok, _r = run_service(page, services.update_quotas, current_user, sel, bounds,
                             request.form.getlist("sensitive"), request.form.get("algorithm", ""))
        message = _("The quotas are saved.")
    elif action == "respondents":
        ok, n = run_service(page, services.import_respondents, current_user, sel, _file_or_text("respondents"))
        message = _("%(n)d volunteers imported.", n=n or 0)
    elif action == "commit":
        ok, _r = run_service(page, services.commit, current_user, sel)
        message = _("The seed's commitment is published: the pool is frozen.")
    elif action == "draw":
        ok, _r = run_service(page, services.start_draw, current_user, sel)
        if ok:
            # Without a queue (the demo) the job has already run after the commit.
            db.session.refresh(sel)
        message = (_("The panel is drawn and the seed revealed. The report is public.")
                   if ok and sel.state == SelectionState.DRAWN else
                   _("The draw has started. It can take a few minutes for a large pool: reload this page to see "
                     "the report."))
    elif action == "replace":
        try:
            volunteer_id = int(request.form.get("volunteer_id", ""))
        except ValueError:
            volunteer_id = 0
        ok, _r = run_service(page, services.draw_replacement, current_user, sel, volunteer_id)
        message = _("A replacement is drawn.")
    elif action == "close":
        ok, _r = run_service(page, services.close_selection, current_user, sel)
        message = _("The selection is closed.")
    else:
        raise NotFound()
    if ok:
        flash(message, "success")
        return redirect(url_for("assemblies_draw.manage", assembly_id=a.id))
    return _manage_page(a, services.selection_of(a), page, values)


@bp.get("/<int:assembly_id>/selection/manage/letters.pdf")
@login_required
def letters(assembly_id):
    a = _managed(assembly_id)
    sel = services.selection_of(a)
    if sel is None or sel.invited_at is None:
        raise NotFound()
    url = url_for("assemblies_draw.reply", assembly_id=a.id, _external=True)
    day = format_date(today(), "long")
    body = [_("You have been drawn by lot, among %(n)d households, to be invited to the citizens' assembly "
              "“%(title)s”.", n=sel.address_count or 0, title=a.title),
            _("Its members will meet to answer this question: %(mandate)s", mandate=a.summary or a.title),
            _("If you would like to take part, register your interest before the draw, online with the code "
              "below, by phone, or at the town hall's counter. The members are then drawn among the volunteers "
              "so that the assembly resembles the population."),
            _("Your answers are used only for the draw; the data of people not drawn is deleted afterwards.")]
    batch = [Letter(address=[inv.name, *inv.address.split("\n")], body=body, date=day,
                    subject=_("Invitation: citizens' assembly"), code=code, code_label=_("Your code"), url=url,
                    url_label=_("Register at"), signature=(_("The citizens' assembly team"),))
             for inv, code in services.invitations(current_user, sel)]
    pdf = letters_pdf(batch, title=_("Invitations: %(title)s", title=a.title))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="assembly-{a.id}-letters.pdf"', "Cache-Control": "no-store"})


@bp.get("/<int:assembly_id>/selection/manage/pool.csv")
@login_required
def pool_file(assembly_id):
    a = _managed(assembly_id)
    sel = services.selection_of(a)
    if sel is None:
        raise NotFound()
    header, rows = services.pool_csv(current_user, sel)
    return csv_response(f"assembly-{a.id}-pool.csv", header, rows, public=False)


@bp.get("/<int:assembly_id>/selection/manage/categories.csv")
@login_required
def categories_export(assembly_id):
    a = _managed(assembly_id)
    sel = services.selection_of(a)
    if sel is None:
        raise NotFound()
    return csv_response(f"assembly-{a.id}-categories.csv", ["category", "feature", "min", "max"],
                        ([q.category, q.value, q.min, q.max] for q in sel.quotas), public=False)
