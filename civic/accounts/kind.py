"""What the accounts module declares to the platform: its pages, the login
machinery, and what core needs to know of people (core imports no domain)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from civic.accounts import admin, cli, oidc, permissions, postal, privacy, services, verification, views
from civic.accounts.models import User
from civic.accounts.services import oidc as oidc_services
from civic.core import consents
from civic.core.people import register_people
from civic.extensions import login_manager


def declare(app) -> None:
    """Register accounts with ``app`` (idempotent: tests build many apps)."""
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.admin_bp)
    app.register_blueprint(admin.mediation_bp)
    app.register_blueprint(oidc.bp)
    app.jinja_env.globals.update(oidc_provider_list=oidc.providers, oidc_linked_identities=oidc.linked_identities)
    privacy.register_exporter("sign_in_services", oidc_services.export_oidc)
    privacy.register_eraser(oidc_services.erase_oidc)
    # Consents are core's (any module registers one); accounts shows and erases them with the account.
    privacy.register_exporter("consents", consents.export)
    privacy.register_eraser(consents.erase)
    privacy.register_exporter("verification_letters", postal.export_letters)
    privacy.register_eraser(postal.erase_letters)
    privacy.register_data_labels({
        "sign_in_services": _l("Sign-in services"), "provider": _l("Service"), "linked_at": _l("Linked on"),
        "identity_verified_at": _l("Identity verified on"), "identity_level": _l("Level of the verification"),
        "consents": _l("Consents"), "consent": _l("Consent"), "wording": _l("Wording you agreed to"),
        "given_at": _l("Given on"), "withdrawn_at": _l("Withdrawn on"), "withdrawn_via": _l("Withdrawn from"),
        "verification_letters": _l("Letters with a verification code"), "requested_at": _l("Asked on"),
        "address": _l("Postal address"), "sent_at": _l("Sent on"), "used_at": _l("Code used on")})
    register_people(User, services.set_locale)
    # Globals, not a context processor: the privacy page lists every module's notice.
    app.jinja_env.globals["privacy_notices"] = privacy.privacy_notices
    app.jinja_env.globals.update(data_label=privacy.data_label, data_moment=privacy.data_moment)
    app.jinja_env.globals["accounts_permissions"] = permissions
    login_manager.user_loader(views.load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    cli.register(app)
    verification.register_settings()
    postal.register_settings()
    app.jinja_env.globals["verification"] = verification
