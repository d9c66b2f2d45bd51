"""Accounts: users, roles, districts, resident verification, my data."""

from flask_babel import lazy_gettext as _l


def init_app(app):
    from civic.accounts import admin, privacy, services, views
    from civic.accounts.models import User
    from civic.core.people import register_people
    from civic.extensions import login_manager

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.admin_bp)
    app.register_blueprint(admin.mediation_bp)
    register_people(User, services.set_locale)
    # A global, not a context processor: the privacy page lists every module's notice.
    app.jinja_env.globals["privacy_notices"] = privacy.privacy_notices
    login_manager.user_loader(views.load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    from civic.accounts import cli

    cli.register(app)
