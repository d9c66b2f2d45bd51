"""The open-data licence setting: Licence Ouverte / Etalab 2.0 by default,
ODbL as the administrators' choice."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.core.settings import SettingSpec, get_setting, register_setting

SETTING_LICENCE = "opendata.licence"

# name: the Data Package licence name (SPDX where it has one); path: the text.
LICENCES = {
    "etalab-2.0": {"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence 2.0 (Etalab)",
                   "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
    "odbl-1.0": {"name": "ODbL-1.0", "title": "Open Data Commons Open Database License (ODbL) 1.0",
                 "path": "https://opendatacommons.org/licenses/odbl/1-0/"},
}


def _validate(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in LICENCES:
        raise ValueError(_("Enter one of: %(values)s.", values=", ".join(LICENCES)))
    return value


SPEC = SettingSpec(
    SETTING_LICENCE, "etalab-2.0", str, lambda: _l("Open data: licence"),
    lambda: _l("Licence of every published dataset: etalab-2.0 (Licence Ouverte, the default of French public "
               "bodies) or odbl-1.0 (share-alike)."), validate=_validate)


def register() -> None:
    register_setting(SPEC)


def licence() -> dict:
    """The licence chosen by the administrators (``key`` added)."""
    key = get_setting(SETTING_LICENCE)
    key = key if key in LICENCES else "etalab-2.0"
    return dict(LICENCES[key], key=key)
