"""The one declaration of the open-data module: its pages, API routes,
licence setting, footer link, the "Open data" link on the pages that show a
dataset's figures, and its part of the demo. It owns no content kind and no
table: it serves what the modules register in ``civic.core.datasets``."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts.models import District
from civic.core import dumps
from civic.core.datasets import Dataset, Field, activities, register_dataset, shown_at
from civic.core.nav import register_nav
from civic.extensions import db
from civic.i18n import french_typography
from civic.opendata import (
    api,  # noqa: F401  (adds the API routes at import time)
    formats,
    settings,
    views,
)


def type_labels() -> dict:
    return {"string": _("text"), "integer": _("whole number"), "number": _("number"), "boolean": _("yes / no"),
            "date": _("date"), "datetime": _("date and time (UTC)")}


def typography(text: str, locale: str) -> str:
    """The modules' French texts with French no-break spaces, like the catalogues'."""
    return french_typography(text) if locale == "fr" else text


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
    register_participation()
    app.jinja_env.globals.update(open_data_for=shown_at, size_text=size_text, open_data_types=type_labels)
    app.jinja_env.filters["typography"] = typography


def participation_rows():
    codes = dict(db.session.execute(sa.select(District.id, District.code)).all())
    return iter(formats.participation_rows(activities(), codes))


def register_participation() -> None:
    """The participation dataset, over the activities the modules registered
    (declared after them: opendata is the last of ``civic.MODULES``)."""
    acts = activities()
    register_dataset(Dataset(
        name="participation-by-district-month", kind="opendata",
        title_en="Participation by district and month", title_fr="Participation par quartier et par mois",
        description_en="How many signatures, supports, ballots, consultation answers and comments each month, "
                       "in each district.",
        description_fr="Combien de signatures, soutiens, bulletins, réponses aux consultations et commentaires "
                       "chaque mois, dans chaque quartier.",
        method_en="Months are calendar months in UTC. An empty district means the city as a whole or no known "
                  "district. Zero counts are left out. " + " ".join(f"{a.name}: {a.method_en}" for a in acts),
        method_fr="Les mois sont des mois civils en UTC. Un quartier vide signifie toute la ville ou aucun "
                  "quartier connu. Les nombres nuls sont omis. " + " ".join(f"{a.name} : {a.method_fr}"
                                                                           for a in acts),
        fields=(Field("month", "string", "Calendar month (YYYY-MM, UTC)", "Mois civil (AAAA-MM, UTC)",
                      {"required": True, "pattern": "^[0-9]{4}-[0-9]{2}$"}),
                Field("district", "string", "District code", "Code du quartier"),
                Field("activity", "string", "Kind of participation", "Type de participation",
                      {"required": True, "enum": [a.name for a in acts]}),
                Field("count", "integer", "Number of participations", "Nombre de participations",
                      {"required": True, "minimum": 1})),
        rows=participation_rows, changelog=(("2026-12-03", "Première publication. / First publication."),)))
