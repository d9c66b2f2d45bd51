"""Accountability: the public page of every official answer owed across the
platform, read through the content registry."""

from flask_babel import gettext as _


def init_app(app):
    from civic.core.nav import register_nav

    from . import (
        api,  # noqa: F401  (adds its route to the API blueprint at import)
        views,
    )

    if "accountability" not in app.blueprints:
        app.register_blueprint(views.bp)
    register_nav(lambda: _("Accountability"), "accountability.index", order=90)
