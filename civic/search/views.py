"""The search page: a GET form (works without JavaScript), results grouped
by kind with their counts as filter links, a district filter, pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from civic.core.errors import ValidationError
from civic.core.export import page_arg
from civic.search import services

bp = Blueprint("search", __name__)


def _district_arg() -> int | None:
    raw = request.args.get("district", "")
    if raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValidationError(fields={"district": _("Choose a district from the list.")})
    return int(raw)


@bp.get("/search")
def index():
    page = page_arg()
    district_id = _district_arg()
    q = request.args.get("q", "")
    kind = request.args.get("kind") or None
    results = services.search(q, kind=kind, district_id=district_id, page=page)
    return render_template("search/index.html", q=services.normalise_query(q), results=results,
                           districts=services.districts(), district_id=district_id, page=page)
