"""Translation catalogues: every user-facing string has a French translation,
and no translation breaks its placeholders (DESIGN.md, house rule 8)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import civic
from civic.i18n import CORE_PACKAGES, catalogue_dir, missing_translations

CIVIC = Path(civic.__file__).resolve().parent


def _catalogued_modules() -> list[str | None]:
    """The core (None), every package with a translations/ folder, and every
    installed domain package: a module with strings but no catalogue at all
    must fail too, not be silently left out. Accounts and api strings live in
    the core catalogue."""
    found = {p.parent.name for p in CIVIC.glob("*/translations") if p.is_dir()}
    found |= {m for m in civic.MODULES if importlib.util.find_spec(f"civic.{m}") is not None}
    return [None] + sorted(found - set(CORE_PACKAGES))


MODULES = _catalogued_modules()
IDS = ["core" if m is None else m for m in MODULES]


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_every_string_has_a_french_translation(module):
    missing = missing_translations(module)
    name = module or "core"
    assert not missing, (
        f"{len(missing)} French translation(s) missing in the {name} catalogue "
        f"(run `flask --app wsgi civic update-translations {module or ''}` and fill the msgstr):\n"
        + "\n".join(f"  - {m!r}" for m in missing))


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_french_translations_keep_their_placeholders(module):
    # A msgstr that drops or renames %(name)s raises KeyError at render time,
    # only in French: catch it here rather than in front of a resident.
    po = catalogue_dir(module) / "fr" / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        # No catalogue, nothing to break; strings without one fail the test above.
        return
    with po.open("rb") as f:
        catalog = read_po(f, locale="fr")
    problems = [f"{message.id!r}: {'; '.join(str(e) for e in errors)}"
                for message, errors in catalog.check() if errors]
    assert not problems, "French translations with broken placeholders:\n" + "\n".join(problems)


def test_core_french_catalogue_is_used_at_run_time(app, client):
    # The compiled catalogue is really loaded: a French visitor sees French.
    html = client.get("/account/register", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Créer un compte" in html
    assert "Create an account" not in html
