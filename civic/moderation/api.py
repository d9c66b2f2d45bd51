"""Public JSON of the moderation transparency report (no key, no personal data)."""

from flask import jsonify

from civic.api import bp, doc, obj
from civic.moderation.transparency import transparency_figures

_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_MONTH = obj({
        "month": {"type": "string", "description": "YYYY-MM (UTC)"},
        "reports": {"type": "object", "properties": {"total": {"type": "integer"}, "by_reason": _COUNTS}},
        "decisions": {"type": "object", "properties": {"total": {"type": "integer"}, "by_type": _COUNTS}},
        "time_to_decision": {"type": "object", "properties": {
            "decided_cases": {"type": "integer"},
            "median_hours": {"type": ["number", "null"]},
            "p90_hours": {"type": ["number", "null"]}}},
        "auto_hidden": {"type": "object", "properties": {"total": {"type": "integer"},
                                                         "restored_on_review": {"type": "integer"}}},
        "appeals": {"type": "object", "properties": {"total": {"type": "integer"}, "pending": {"type": "integer"},
                                                     "upheld": {"type": "integer"},
                                                     "overturned": {"type": "integer"}}},
        "users_blocked": {"type": "integer"},
}, optional=("month",))


@bp.get("/transparency")
@doc("Moderation figures of the last 12 months", tags=["moderation"],
     description="Reports by reason, decisions by type, median and 90th-percentile hours from the first report to "
                 "the decision, auto-hidden items and how many were restored on review, appeals and their outcomes, "
                 "people blocked; by calendar month (UTC), computed from the database at each request.",
     responses={"200": {"description": "The figures", "schema": obj({
         "generated_at": {"type": "string", "format": "date-time"}, "period": {"type": "object"},
         "rules": obj({"auto_hide_threshold": {"type": "integer"},
                       "premoderated_kinds": {"type": "array", "items": {"type": "string"}}}),
         "months": {"type": "array", "items": _MONTH}, "totals": _MONTH})}})
def transparency():
    return jsonify(transparency_figures())
