"""The shared checks of the petitions' services: text required and bounded,
the postcode's shape and its district."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts.models import DistrictPostcode
from civic.extensions import db

POSTCODE = re.compile(r"^[0-9A-Z\-]{2,12}$")


def district_id_for(postcode: str) -> int | None:
    """The district of a (normalised) postcode, or None."""
    return db.session.scalar(sa.select(DistrictPostcode.district_id).where(DistrictPostcode.postcode == postcode))


def check_text(errors: dict, field: str, value: str, limit: int, missing: str | None = None) -> None:
    """Put in ``errors[field]`` why ``value`` will not do: empty (when
    ``missing`` says what to write; without it the field is optional) or
    longer than ``limit`` characters."""
    if not value:
        if missing:
            errors[field] = missing
    elif len(value) > limit:
        errors[field] = _("Use at most %(n)d characters.", n=limit)
