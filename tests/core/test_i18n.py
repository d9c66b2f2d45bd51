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
    if missing:
        pytest.fail(f"{len(missing)} French translation(s) missing in the {module or 'core'} catalogue "
                    f"(run `flask --app wsgi civic update-translations {module or ''}` and fill the msgstr):\n"
                    + "\n".join(f"  - {m!r}" for m in missing), pytrace=False)


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
    if problems:
        pytest.fail("French translations with broken placeholders:\n" + "\n".join(problems), pytrace=False)


def test_core_french_catalogue_is_used_at_run_time(app, client):
    # The compiled catalogue is really loaded: a French visitor sees French.
    html = client.get("/account/register", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Créer un compte" in html
    assert "Create an account" not in html


def _french(module: str | None) -> dict:
    po = catalogue_dir(module) / "fr" / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return {}
    with po.open("rb") as f:
        catalog = read_po(f, locale="fr")
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context): m.string
            for m in catalog if m.id and m.string and not m.fuzzy}


@pytest.mark.parametrize("module", [m for m in MODULES if m is not None], ids=[i for i in IDS if i != "core"])
def test_module_catalogue_agrees_with_the_others_on_shared_strings(module):
    # Flask-Babel merges every catalogue into one: for a msgid found in two
    # catalogues, the one merged last wins on every page, the core's included.
    # So a module that translates "Closed" as "Close" while another says "Clos"
    # changes the other's pages. Reuse the existing wording, or give the string
    # a context (pgettext("petition status", "Closed")) when the French must differ.
    mine = _french(module)
    conflicts = []
    for other in MODULES:
        if other == module:
            continue
        theirs = _french(other)
        for key, text in sorted(mine.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if key in theirs and str(theirs[key]) != str(text):
                where = "core" if other is None else other
                conflicts.append(f"{key[0]!r}: {text!r} here, {theirs[key]!r} in {where}")
    if conflicts:
        pytest.fail(f"{len(conflicts)} string(s) of the {module} catalogue translated differently elsewhere "
                    "(the last catalogue merged wins on every page):\n" + "\n".join(conflicts), pytrace=False)


def test_french_strings_follow_french_typography():
    """No-break spaces before : ; ! ? and inside « » (update-translations applies
    them; a string filled by hand afterwards must too)."""
    from babel.messages.pofile import read_po

    from civic.i18n import catalogue_files, french_typography

    wrong = []
    for po in catalogue_files():
        if po.parts[-3] != "fr":
            continue
        with po.open("rb") as f:
            for message in read_po(f, locale="fr"):
                if not message.id:
                    continue  # the catalogue's header
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                wrong += [f"{po.parent.parent.parent.parent.name}: {s!r}" for s in strings
                          if s and french_typography(s) != s]
    assert wrong == []


def test_french_typography_rules():
    from civic.i18n import french_typography

    assert french_typography("Phase en cours : Pas commencé") == "Phase en cours\u00a0: Pas commencé"
    assert french_typography("Erreur:") == "Erreur\u00a0:"
    assert french_typography("Vraiment ?") == "Vraiment\u202f?"
    assert french_typography("Le titre «Bancs»") == "Le titre «\u00a0Bancs\u00a0»"
    assert french_typography("https://x.fr/a?b=1 à 10:30") == "https://x.fr/a?b=1 à 10:30"
