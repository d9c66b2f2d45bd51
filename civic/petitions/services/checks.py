"""The one text check of the petitions' services: required and bounded."""

from __future__ import annotations

from flask_babel import gettext as _


def check_text(errors: dict, field: str, value: str, limit: int, missing: str | None = None) -> None:
    """Put in ``errors[field]`` why ``value`` will not do: empty (when
    ``missing`` says what to write; without it the field is optional) or
    longer than ``limit`` characters."""
    if not value:
        if missing:
            errors[field] = missing
    elif len(value) > limit:
        errors[field] = _("Use at most %(n)d characters.", n=limit)
