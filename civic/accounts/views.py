"""Account pages: thin views over civic.accounts.services."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from civic.accounts import forms, services
from civic.core import consents
from civic.core.errors import RateLimited, ValidationError
from civic.core.forms import form_status, run_service
from civic.core.replica import use_primary
from civic.core.security import client_ip
from civic.core.views import safe_next
from civic.extensions import db

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.settings"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        from civic import select_locale

        ok, _user = run_service(form, services.register_user, form.email.data, form.password.data,
                                      form.display_name.data, select_locale(), form.district_id.data, client_ip(),
                                      consents_given=request.form.getlist("consent"))
        if ok:
            return render_template("accounts/check_mail.html", email=form.email.data.strip().lower())
    return render_template("accounts/register.html", form=form, consent_specs=consents.specs(),
                           ticked=request.form.getlist("consent")), form_status(form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@use_primary  # a token link reads what was just written: never a lagging replica
def confirm(token):
    # GET only shows a button: link scanners in mail filters must not confirm.
    if request.method == "POST":
        try:
            user = services.confirm_email(token)
        except ValidationError as err:
            db.session.rollback()
            return render_template("accounts/confirm.html", token=token, error=err.message), 400
        db.session.commit()
        flash(_("Your email address is confirmed."), "success")
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", email=user.email))
        return redirect(url_for("accounts.settings"))
    return render_template("accounts/confirm.html", token=token)


@bp.post("/confirm/resend")
@login_required
def resend_confirmation():
    try:
        services.resend_confirmation(current_user)
        db.session.commit()
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "success")
    except RateLimited as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(url_for("accounts.settings"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = forms.LoginForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    if form.validate_on_submit():
        ok, user = run_service(form, services.authenticate, form.email.data, form.password.data, client_ip())
        if ok:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("core.home")))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.log_out(current_user)
        db.session.commit()
    logout_user()
    # Signed in through FranceConnect (or another provider): log out there too.
    from civic.accounts.oidc import end_session_redirect

    provider_logout = end_session_redirect()
    if provider_logout is not None:
        return provider_logout
    flash(_("You are logged out."), "success")
    return redirect(url_for("core.home"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    services.log_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are logged out on every device."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = forms.EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/check_mail.html", email=form.email.data.strip().lower(), reset=True)
    return render_template("accounts/forgot.html", form=form), form_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@use_primary  # a token link reads what was just written: never a lagging replica
def reset_password(token):
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        ok, _user = run_service(form, services.reset_password, token, form.password.data)
        if ok:
            logout_user()
            flash(_("Your password has been changed. You can log in now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token), form_status(form)


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings():
    profile = forms.ProfileForm(prefix="profile", obj=current_user if request.method == "GET" else None)
    email_form = forms.ChangeEmailForm(prefix="email")
    password_form = forms.ChangePasswordForm(prefix="password")
    action = request.form.get("action")
    status = 200
    if request.method == "POST":
        if action == "profile" and profile.validate_on_submit():
            ok, _r = run_service(profile, services.update_profile, current_user, profile.display_name.data,
                                       profile.locale.data, profile.district_id.data)
            if ok:
                flash(_("Your details are saved."), "success")
                return redirect(url_for("accounts.settings"))
        elif action == "email" and email_form.validate_on_submit():
            ok, _r = run_service(email_form, services.request_email_change, current_user,
                                       email_form.email.data, email_form.password.data)
            if ok:
                flash(_("We sent a confirmation link to the new address. Your address changes once you open it."), "success")
                return redirect(url_for("accounts.settings"))
        elif action == "password" and password_form.validate_on_submit():
            ok, _r = run_service(password_form, services.change_password, current_user,
                                       password_form.current_password.data, password_form.new_password.data)
            if ok:
                flash(_("Your password has been changed. Other devices are logged out."), "success")
                return redirect(url_for("accounts.settings"))
        elif action in ("consent_give", "consent_withdraw"):
            ok, _r = run_service(profile, services.set_consent, current_user, request.form.get("consent", ""),
                                 action == "consent_give")
            if ok:
                flash(_("Your choice is saved.") if action == "consent_give"
                      else _("Done: your consent is withdrawn. You will no longer receive these emails."), "success")
                return redirect(url_for("accounts.settings") + "#s-consents")
        posted = {"profile": profile, "email": email_form, "password": password_form}.get(action)
        status = form_status(posted) if posted is not None else 422
    from civic.accounts import roll, verification

    return render_template("accounts/settings.html", profile=profile, email_form=email_form,
                           password_form=password_form, devices=services.open_sessions(current_user),
                           consent_rows=[(c, consents.current(current_user, c.key)) for c in consents.specs()],
                           elector=roll.elector_hash(current_user) is not None,
                           verifications=verification.verifications(current_user)), status


@bp.get("/my-data")
@login_required
def my_data():
    data = services.export_personal_data(current_user)
    return render_template("accounts/my_data.html", data=data, form=forms.DeleteAccountForm())


@bp.get("/my-data.json")
@login_required
def my_data_download():
    data = services.export_personal_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="my-civic-data.json"', "Cache-Control": "no-store"})


@bp.post("/delete")
@login_required
def delete_account():
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        ok, _r = run_service(form, services.delete_account, current_user, form.password.data)
        if ok:
            logout_user()
            flash(_("Your account has been deleted and your personal data erased."), "success")
            return redirect(url_for("core.home"))
    data = services.export_personal_data(current_user)
    return render_template("accounts/my_data.html", data=data, form=form), form_status(form)


@bp.route("/verify", methods=["GET", "POST"])
@login_required
def verify():
    form = forms.CensusVerifyForm()
    if form.validate_on_submit():
        ok, v = run_service(form, services.verify_with_census, current_user, form.last_name.data,
                                  form.first_name.data, form.birth_date.data, form.postcode.data)
        if ok:
            flash(_("You are now a verified resident of %(district)s.", district=v.district.name), "success")
            return redirect(url_for("accounts.settings"))
    status = form_status(form)
    return render_template("accounts/verify.html", form=form, verification=current_user.active_verification), status


def load_user(user_id: str):
    return services.user_for_session(user_id)


@bp.route("/spaces/<kind>/<int:object_id>/verification", methods=["GET", "POST"])
@login_required
def space_requirements(kind, object_id):
    """What each action of a space asks of the person's verification, set
    by whoever manages the space (linked from its manage page)."""
    from civic.accounts import verification
    from civic.core import content
    from civic.core.permissions import require

    space_kind, obj = content.load(kind, object_id, current_user)
    require(verification.can_set_requirement(current_user, kind, obj))
    actions = verification.actions_of(kind)
    if not actions:
        from civic.core.errors import NotFound

        raise NotFound()
    form = forms.RequirementForm(actions)
    if form.validate_on_submit():
        ok, _r = run_service(form, verification.set_requirement, current_user, kind, obj, form.action.data,
                             min_level=form.min_level.data, method=form.method.data or None)
        if ok:
            flash(_("The verification requirement is saved."), "success")
            return redirect(url_for("accounts.space_requirements", kind=kind, object_id=object_id))
    return render_template("accounts/space_requirements.html", form=form, kind=space_kind, obj=obj,
                           current=verification.verification_requirement(kind, obj),
                           describe=verification.describe), form_status(form)


@bp.route("/letter", methods=["GET", "POST"])
@login_required
def letter():
    """Verification by post: ask for a letter, then type its code."""
    from civic.accounts import postal, verification

    ask = forms.LetterRequestForm(prefix="ask")
    code = forms.LetterCodeForm(prefix="code")
    action = request.form.get("action")
    status = 200
    if request.method == "POST":
        if action == "ask" and ask.validate_on_submit():
            ok, _r = run_service(ask, postal.request_letter, current_user, ask.address.data)
            if ok:
                flash(_("Your request is recorded: the town hall will post the letter. Your address is deleted "
                        "once it is sent."), "success")
                return redirect(url_for("accounts.letter"))
        elif action == "code" and code.validate_on_submit():
            ok, _r = run_service(code, postal.redeem_code, current_user, code.code.data)
            if ok:
                flash(_("Your identity is checked: the code of the letter is accepted."), "success")
                return redirect(url_for("accounts.settings"))
        posted = {"ask": ask, "code": code}.get(action)
        status = form_status(posted) if posted is not None else 422
    return render_template("accounts/letter.html", ask=ask, code=code, pending=postal.pending_request(current_user),
                           sent=postal.open_letter(current_user),
                           checked=verification.is_verified(current_user, level=verification.LEVEL_IDENTITY)), status
