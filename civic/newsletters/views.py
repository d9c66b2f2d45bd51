"""Newsletter pages: the public archive, and the staff's writing desk."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.accounts.services import all_districts
from civic.core import consents
from civic.core.export import page_arg
from civic.core.forms import form_status, run_service
from civic.core.permissions import require
from civic.core.time import to_utc
from civic.extensions import db
from civic.newsletters import forms, permissions, sending, services

bp = Blueprint("newsletters", __name__, url_prefix="/newsletters")


@bp.get("/")
def index():
    page = page_arg()
    letters, has_next = services.archive(page)
    return render_template("newsletters/index.html", letters=letters, page=page, has_next=has_next,
                           subscribed=consents.has_consent(current_user, sending.TOPIC))


@bp.post("/subscribe")
@login_required
def subscribe():
    """Give or withdraw the consent from the archive page (the account page does the same)."""
    from civic.accounts import services as account_services

    give = request.form.get("action") != "withdraw"
    account_services.set_consent(current_user, sending.TOPIC, give)
    db.session.commit()
    flash(_("You will receive the newsletter. You can stop it from any letter or from your account.") if give
          else _("Done: your consent is withdrawn. You will no longer receive these emails."), "success")
    return redirect(url_for("newsletters.index"))


@bp.get("/<int:letter_id>")
def show(letter_id):
    letter = services.get(letter_id, current_user)
    return render_template("newsletters/show.html", letter=letter)


def _form(letter=None):
    form = forms.NewsletterForm(obj=None if request.method == "POST" or letter is None else
                                _obj(letter))
    districts = all_districts()
    form.set_targets([d for d in districts if permissions.can_target(current_user, d.id)],
                     bool(permissions.can_target(current_user, None)))
    return form


def _obj(letter):
    from types import SimpleNamespace

    return SimpleNamespace(subject=letter.subject, body=letter.body_source, district_id=letter.district_id)


@bp.get("/manage")
@login_required
def manage():
    require(permissions.can_write_newsletters(current_user))
    page = page_arg()
    letters, has_next = services.managed(current_user, page)
    return render_template("newsletters/manage.html", letters=letters, page=page, has_next=has_next)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_write_newsletters(current_user))
    form = _form()
    if form.validate_on_submit():
        ok, letter = run_service(form, services.create_newsletter, current_user, form.subject.data,
                                 form.body.data, form.district_id.data)
        if ok:
            flash(_("The draft is saved. Check the preview, send yourself a test, then schedule it."), "success")
            return redirect(url_for("newsletters.edit", letter_id=letter.id))
    return render_template("newsletters/new.html", form=form), form_status(form)


@bp.route("/<int:letter_id>/edit", methods=["GET", "POST"])
@login_required
def edit(letter_id):
    letter = services.get(letter_id, current_user)
    require(permissions.can_manage_newsletter(current_user, letter))
    form = _form(letter)
    schedule_form = forms.ScheduleForm(prefix="s")
    action = request.form.get("action")
    status = 200
    if request.method == "POST":
        here = url_for("newsletters.edit", letter_id=letter.id)
        if action == "save" and form.validate_on_submit():
            ok, _r = run_service(form, services.update_newsletter, current_user, letter, form.subject.data,
                                 form.body.data, form.district_id.data)
            if ok:
                flash(_("The draft is saved."), "success")
                return redirect(here)
            status = form_status(form)
        elif action == "save":
            status = form_status(form)
        elif action == "test" and schedule_form.validate_on_submit():
            ok, _r = run_service(schedule_form, services.send_test, current_user, letter)
            if ok:
                flash(_("A test was sent to %(email)s.", email=current_user.email), "success")
                return redirect(here)
            status = form_status(schedule_form)
        elif action == "schedule" and schedule_form.validate_on_submit():
            when = to_utc(schedule_form.send_at.data) if schedule_form.send_at.data else None
            ok, _r = run_service(schedule_form, services.schedule, current_user, letter, when)
            if ok:
                flash(_("The letter is scheduled."), "success")
                return redirect(here)
            status = form_status(schedule_form)
        elif action == "unschedule" and schedule_form.validate_on_submit():
            ok, _r = run_service(schedule_form, services.unschedule, current_user, letter)
            if ok:
                flash(_("The sending is cancelled: the letter is a draft again."), "success")
                return redirect(here)
            status = form_status(schedule_form)
        else:
            # A stale page or a forged token: the CSRF message shows at the top.
            status = form_status(schedule_form) if schedule_form.errors else 400
    return render_template("newsletters/edit.html", letter=letter, form=form, schedule_form=schedule_form,
                           audience=services.audience_size(letter)), status
