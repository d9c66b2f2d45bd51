"""Accountability in the public JSON API."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _

from civic.accounts.models import District
from civic.api import MOMENT, MOMENT_OR_NULL, STRING_OR_NULL, bp, doc, obj, page_of, page_params
from civic.core.errors import ValidationError
from civic.core.export import iso, page_arg
from civic.core.urls import absolute_url
from civic.extensions import db

from . import services
from .views import district_filter

PAGE_SIZE = 100

ITEM_SCHEMA = obj({
    "kind": {"type": "string"}, "id": {"type": "integer"}, "title": {"type": "string"}, "url": {"type": "string"},
    "district": STRING_OR_NULL, "owed_since": MOMENT, "due_at": MOMENT, "answered_at": MOMENT_OR_NULL,
    "state": {"type": "string", "enum": [s.value for s in services.State]},
    "late_days": {"type": "integer", "minimum": 0,
                  "description": "Days late (answered late, or overdue so far); 0 otherwise."}})
SUMMARY_SCHEMA = obj({**{s.value: {"type": "integer", "minimum": 0} for s in services.State},
                      "total": {"type": "integer", "minimum": 0},
                      "on_time_percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100}})


@bp.get("/accountability")
@doc("Every item that owes an official answer, with its due date and whether it was kept",
     tags=["accountability"],
     description="Read from each participatory kind (petitions over their threshold, proposals over their "
                 "support threshold, closed consultations...). Sorted: overdue first, then pending by due date, "
                 "then answered, most recent first.",
     params=page_params() + [
         {"name": "district", "in": "query", "schema": {"type": "string"}, "description": "District code or id."},
         {"name": "state", "in": "query", "schema": {"type": "string", "enum": [s.value for s in services.State]}},
         {"name": "kind", "in": "query", "schema": {"type": "string"}}],
     responses={"200": {"description": "A page of items and the figures over all pages",
                        "schema": page_of(ITEM_SCHEMA, summary=SUMMARY_SCHEMA)},
                "422": {"description": "A parameter is not as documented, or no district has this code or id "
                                       "(`fields.district`)"}})
def api_accountability():
    raw = request.args.get("district")
    district = district_filter(raw)
    if raw and district is None:
        raise ValidationError(fields={"district": _("Unknown district.")})
    state = request.args.get("state") or None
    if state and state not in {s.value for s in services.State}:
        raise ValidationError(fields={"state": _("Unknown state.")})
    page = page_arg()
    everything = services.owed_items(district_id=district.id if district else None,
                                     kind=request.args.get("kind") or None)
    figures = services.summary(everything)
    items = [i for i in everything if state is None or i["state"] == state]
    shown = items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    codes = dict(db.session.execute(sa.select(District.id, District.code)).all())
    base = absolute_url("core.home").rstrip("/")
    return jsonify({
        "items": [{"kind": i["kind"], "id": i["id"], "title": i["title"],
                   "url": i["url"] if i["url"].startswith("http") else base + i["url"],
                   "district": codes.get(i.get("district_id")), "owed_since": iso(i["owed_since"]),
                   "due_at": iso(i["due_at"]), "answered_at": iso(i.get("answered_at")),
                   "state": i["state"].value, "late_days": i["late_days"]} for i in shown],
        "summary": figures, "page": page, "has_next": len(items) > page * PAGE_SIZE,
    })
