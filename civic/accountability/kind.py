"""The one declaration of the accountability module: its public page, its
API route and its navigation link. It owns no content kind: it reads every
kind's ``owed_answers`` hook through the registry. It has no rule of its own
either (a public, read-only page), hence no ``permissions.py``."""

from __future__ import annotations

from flask_babel import gettext as _

from civic.accountability import (
    api,  # noqa: F401  (adds its route to the API blueprint at import)
    opendata,
    views,
)
from civic.core.nav import register_nav


def declare(app) -> None:
    if "accountability" not in app.blueprints:
        app.register_blueprint(views.bp)
    register_nav(lambda: _("Accountability"), "accountability.index", order=90)
    opendata.register()
