"""The one declaration of the open-data module: its pages, API routes,
licence setting, footer link, the "Open data" link on the pages that show a
dataset's figures, and its part of the demo. It owns no content kind and no
table: it serves what the modules register in ``civic.core.datasets``."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.core import dumps
from civic.core.datasets import shown_at
from civic.core.nav import register_nav
from civic.opendata import (
    api,  # noqa: F401  (adds the API routes at import time)
    formats,
    settings,
    views,
)


def type_labels() -> dict:
    return {"string": _("text"), "integer": _("whole number"), "number": _("number"), "boolean": _("yes / no"),
            "date": _("date"), "datetime": _("date and time (UTC)")}


def size_text(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(max(n, 1) / 1024, format="#,##0.0"))
    return _("%(n)s MB", n=format_decimal(n / 1024 / 1024, format="#,##0.0"))


def declare(app) -> None:
    if "opendata" not in app.blueprints:
        app.register_blueprint(views.bp)
    settings.register()
    # The nightly dumps (core/dumps.py) are the same documents as the live downloads.
    dumps.register_format("csv", "text/csv; charset=utf-8", formats.csv_body)
    dumps.register_format("json", "application/json", lambda ds: formats.json_body(ds, settings.licence()))
    register_nav(lambda: str(_l("Open data")), "opendata.index", order=85, footer=True)
    app.jinja_env.globals.update(open_data_for=shown_at, size_text=size_text, open_data_types=type_labels)
