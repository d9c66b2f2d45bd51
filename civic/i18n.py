"""Translation catalogues: one per package (civic/translations and
civic/<module>/translations), merged by Flask-Babel at run time."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent


def catalogue_files() -> list[Path]:
    return sorted(ROOT.glob("translations/*/LC_MESSAGES/messages.po")) + sorted(
        ROOT.glob("*/translations/*/LC_MESSAGES/messages.po"))


def compile_catalogs(force: bool = False) -> list[Path]:
    """Write messages.mo beside every messages.po that is newer (or all with force)."""
    done = []
    for po in catalogue_files():
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            done.append(mo)
    return done


# --- French typography ---------------------------------------------------------
# French puts a no-break space before ":" and inside « », a narrow one before
# ";", "!" and "?", so that the sign never starts a line. Applied to every
# French string by update-translations; tests/core/test_i18n.py checks it.

NBSP, NNBSP = "\u00a0", "\u202f"
_TYPO = [
    (re.compile(r"(?<=\S)[ \u202f]:(?=\s|$)"), NBSP + ":"),
    (re.compile(r"(?<=[^\s\d:/\u00a0\u202f]):(?=\s|$)"), NBSP + ":"),
    (re.compile(r"(?<=\S)[ \u00a0]([;!?])(?=\s|$|[»)])"), NNBSP + r"\1"),
    (re.compile(r"(?<=[^\s\u00a0\u202f;!?])([;!?])(?=\s|$)"), NNBSP + r"\1"),
    (re.compile(r"«[ \u202f]?(?=\S)"), "«" + NBSP),
    (re.compile(r"(?<=\S)[ \u202f]?»"), NBSP + "»"),
]


def french_typography(text: str) -> str:
    """``text`` with French no-break spaces where they belong (idempotent)."""
    for pattern, replacement in _TYPO:
        text = pattern.sub(replacement, text)
    return text


def _french(catalog) -> None:
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, tuple):
            message.string = tuple(french_typography(s) for s in message.string)
        else:
            message.string = french_typography(message.string)


# --- extraction and checks ---------------------------------------------------

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
CORE_PACKAGES = ["core", "accounts", "api"]
CORE_TEMPLATE_DIRS = ["core", "accounts", "admin", "_macros", "mail/accounts"]


def module_sources(module: str | None) -> list[Path]:
    """Files whose strings belong to ``module``'s catalogue (None = core)."""
    templates = ROOT / "templates"
    if module is None:
        files = [p for p in ROOT.glob("*.py")]
        for pkg in CORE_PACKAGES:
            files += sorted((ROOT / pkg).rglob("*.py"))
        files += sorted(templates.glob("*.html"))
        for d in CORE_TEMPLATE_DIRS:
            files += sorted((templates / d).rglob("*.html")) + sorted((templates / d).rglob("*.txt"))
        return files
    files = sorted((ROOT / module).rglob("*.py"))
    for d in (templates / module, templates / "mail" / module):
        files += sorted(d.rglob("*.html")) + sorted(d.rglob("*.txt"))
    return files


def catalogue_dir(module: str | None) -> Path:
    return ROOT / "translations" if module is None else ROOT / module / "translations"


def extract_messages(module: str | None):
    """Extract the translatable strings of ``module`` into a babel Catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract, extract_python
    from jinja2.ext import babel_extract

    catalog = Catalog(project="civic")
    for path in module_sources(module):
        if "translations" in path.parts:
            continue
        method = extract_python if path.suffix == ".py" else babel_extract
        options = {} if path.suffix == ".py" else {"extensions": "jinja2.ext.do", "trimmed": "false"}
        with path.open("rb") as f:
            for lineno, message, comments, context in extract(method, f, KEYWORDS, options=options):
                catalog.add(message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments,
                            context=context)
    return catalog


def update_catalogue(module: str | None, locales=("fr", "en")) -> list[Path]:
    """Create or update ``messages.po`` for each locale from the sources."""
    from babel.messages.pofile import write_po

    template = extract_messages(module)
    written = []
    for locale in locales:
        po = catalogue_dir(module) / locale / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        if po.exists():
            with po.open("rb") as f:
                catalog = read_po(f, locale=locale)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=locale, project="civic")
            catalog.update(template, no_fuzzy_matching=True)
        if locale == "fr":
            _french(catalog)
        if locale == "en":
            # English is the source language: msgstr = msgid.
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        with po.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=True, include_previous=False)
        written.append(po)
    return written


def missing_translations(module: str | None, locale: str = "fr") -> list[str]:
    """msgids used in the sources with no (or a fuzzy) translation in ``locale``."""
    po = catalogue_dir(module) / locale / "LC_MESSAGES" / "messages.po"
    used = extract_messages(module)
    if not po.exists():
        return [m.id if isinstance(m.id, str) else m.id[0] for m in used if m.id]
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    missing = []
    for m in used:
        if not m.id:
            continue
        t = catalog.get(m.id, context=m.context)
        strings = t.string if t is not None else None
        ok = t is not None and not t.fuzzy and (all(strings) if isinstance(strings, tuple) else bool(strings))
        if not ok:
            missing.append(m.id if isinstance(m.id, str) else m.id[0])
    return missing
