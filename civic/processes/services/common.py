"""Small helpers the services of processes share (no database writes)."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from civic.accounts.models import District
from civic.core import content
from civic.extensions import db

PAGE_SIZE = 20
DEFAULT_ANSWER_DELAY_DAYS = 90


def normalise_search(text: str) -> str:
    """Lower-case, accents removed, punctuation as spaces (for LIKE search)."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^\w]+", " ", text).strip()


def required_text(value: str, field: str, message: str, max_len: int | None = None) -> dict:
    """``{field: message}`` when ``value`` is empty or longer than ``max_len``, else ``{}``."""
    if not value:
        return {field: message}
    if max_len and len(value) > max_len:
        return {field: _("Use at most %(n)d characters.", n=max_len)}
    return {}


def district_exists(district_id: int | None) -> bool:
    return district_id is None or db.session.get(District, district_id) is not None


def registered_kinds() -> set[str]:
    """Names of the content kinds installed (budgets, consultations... are optional)."""
    return {k.name for k in content.kinds()}
