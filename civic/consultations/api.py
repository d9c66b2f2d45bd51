"""Consultations in the public JSON API: no personal data, ever. Results are
aggregates (and free texts a moderator cleared)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _

from civic.api import MOMENT, MOMENT_OR_NULL, STRING_OR_NULL, bp, doc, obj, page_of, page_params
from civic.core.errors import NotFound
from civic.core.export import csv_response, iso, page_arg
from civic.extensions import db

from . import permissions, services, tally
from .models import Consultation, Eligibility, QuestionKind, Status

PAGE_SIZE = 50


def _summary(c: Consultation, count: int) -> dict:
    return {
        "id": c.id, "title": c.title, "status": c.phase(),
        "district": c.district.code if c.district else None,
        "opens_at": iso(c.opens_at), "closes_at": iso(c.closes_at), "results_due_at": iso(c.results_due_at),
        "followup_published_at": iso(c.followup_published_at),
        "responses": count,
        "url": url_for("consultations.detail", consultation_id=c.id, _external=True),
    }


SUMMARY_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"},
    "status": {"type": "string", "enum": ["upcoming", "open", "closed"]},
    "district": STRING_OR_NULL, "opens_at": MOMENT, "closes_at": MOMENT, "results_due_at": MOMENT_OR_NULL,
    "followup_published_at": MOMENT_OR_NULL, "responses": {"type": "integer", "minimum": 0},
    "url": {"type": "string"}})
_KIND = {"enum": [k.value for k in QuestionKind]}
DETAIL_SCHEMA = obj({
    **SUMMARY_SCHEMA["properties"],
    "context_html": {"type": "string"}, "documents": {"type": "array"},
    "eligibility": {"enum": [e.value for e in Eligibility]},
    "eligible_districts": {"type": "array", "items": {"type": "string"}}, "free_text_private": {"type": "boolean"},
    "participation_by_district": {"type": "array", "items": obj({"district": STRING_OR_NULL,
                                                                 "responses": {"type": "integer", "minimum": 0}})},
    "questions": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "position": {"type": "integer"}, "kind": _KIND, "prompt": {"type": "string"},
        "help": STRING_OR_NULL, "required": {"type": "boolean"}, "max_choices": {"type": ["integer", "null"]},
        "allow_other": {"type": "boolean"},
        "choices": {"type": "array", "items": obj({"id": {"type": "integer"}, "label": {"type": "string"}})}})},
    "results_url": STRING_OR_NULL})
_COUNT = {"type": "integer", "minimum": 0}
_PERCENT = {"type": "number", "minimum": 0, "maximum": 100}
_FIGURES = {  # one question's figures, over everyone or in one district
    "answered": _COUNT,
    "choices": {"type": "array", "items": obj({"id": {"type": "integer"}, "label": {"type": "string"},
                                               "count": _COUNT, "percent": _PERCENT})},
    "other": obj({"count": _COUNT, "percent": _PERCENT}),
    "ranking": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "label": {"type": "string"}, "ranked": _COUNT, "first": _COUNT,
        "average_rank": {"type": ["number", "null"]}, "borda": _COUNT})},
    "scale": {"type": "array", "items": obj({"value": {"type": "integer"}, "count": _COUNT, "percent": _PERCENT})},
}
RESULTS_SCHEMA = obj({
    "consultation": SUMMARY_SCHEMA, "computed_at": MOMENT_OR_NULL,
    "k": {"type": "integer", "description": "Smallest group shown in a breakdown by district."},
    "total": _COUNT, "paper": _COUNT, "no_district": _COUNT,
    "participation_by_district": {"type": "array", "items": obj({
        "district_id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}, "count": _COUNT})},
    "questions": {"type": "array", "items": {
        "type": "object", "required": ["id", "position", "kind", "prompt", "required", "answered", "published_texts"],
        "properties": {
            "id": {"type": "integer"}, "position": {"type": "integer"}, "kind": _KIND, "prompt": {"type": "string"},
            "required": {"type": "boolean"}, **_FIGURES,
            "by_district": {"type": "array", "items": {
                "type": "object", "required": ["code", "answered"],
                "properties": {"district_id": {"type": ["integer", "null"]}, "code": STRING_OR_NULL,
                               "name": STRING_OR_NULL, **_FIGURES}}},
            "published_texts": {"type": "array", "items": {"type": "string"}}}}}},
    optional=("computed_at",))


@bp.get("/consultations")
@doc("Consultations, most recently closing first", tags=["consultations"], params=page_params(),
     responses={"200": {"description": "A page of consultations", "schema": page_of(SUMMARY_SCHEMA)}})
def api_consultations():
    page = page_arg()
    rows = db.session.scalars(sa.select(Consultation).where(
        Consultation.status != Status.DRAFT, Consultation.hidden.is_(False))
        .order_by(Consultation.closes_at.desc(), Consultation.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    items = rows[:PAGE_SIZE]
    counts = services.participation_counts(c.id for c in items)
    return jsonify({"items": [_summary(c, counts.get(c.id, 0)) for c in items], "page": page,
                    "has_next": len(rows) > PAGE_SIZE})


def _public(consultation_id: int) -> Consultation:
    c = db.session.get(Consultation, consultation_id)
    # The API answers as to an anonymous visitor: no drafts, nothing hidden.
    if c is None or not permissions.can_view_consultation(None, c):
        raise NotFound()
    return c


@bp.get("/consultations/<int:consultation_id>")
@doc("One consultation: questions, dates, who may answer, participation by district", tags=["consultations"],
     responses={"200": {"description": "The consultation", "schema": DETAIL_SCHEMA}})
def api_consultation(consultation_id):
    c = _public(consultation_id)
    data = _summary(c, services.participation_counts([c.id]).get(c.id, 0))
    data.update({
        "context_html": c.context_html, "documents": c.documents or [],
        "eligibility": c.eligibility.value, "eligible_districts": [d.code for d in c.districts],
        "free_text_private": c.free_text_private,
        "participation_by_district": [
            {"district": row["code"], "responses": row["count"]} for row in services.participation_by_district(c)],
        "questions": [{
            "id": q.id, "position": q.position, "kind": q.kind.value, "prompt": q.prompt, "help": q.help_text,
            "required": q.required, "max_choices": q.max_choices, "allow_other": q.allow_other,
            "choices": [{"id": ch.id, "label": ch.label} for ch in q.choices]} for q in c.questions],
        "results_url": url_for("api.api_consultation_results", consultation_id=c.id, _external=True)
        if c.results is not None else None,
    })
    return jsonify(data)


def _results(consultation_id: int) -> Consultation:
    c = _public(consultation_id)
    if c.results is None:
        raise NotFound(_("The results are published after the consultation closes."))
    return c


@bp.get("/consultations/<int:consultation_id>/results")
@doc("Aggregated results of a closed consultation", tags=["consultations"],
     description="Counts and percentages per choice; ranking questions with average rank and Borda count "
                 "(first place earns K points, K-th place 1, unranked 0, where K is the number of places); "
                 "5-point scale distributions; breakdowns by district only for groups of at least `k` answers; "
                 "free texts only once a moderator cleared them, and never when the consultation keeps them "
                 "private. 404 before the results are computed.",
     responses={"200": {"description": "The results", "schema": RESULTS_SCHEMA},
                "404": {"description": "No such consultation, or no results yet"}})
def api_consultation_results(consultation_id):
    c = _results(consultation_id)
    data = dict(c.results)
    data["consultation"] = _summary(c, data["total"])
    data["computed_at"] = iso(c.results_computed_at)
    texts, _more = services.published_texts(c, page=1, per_page=10_000)
    by_question: dict[int, list[str]] = {}
    for t in texts:
        by_question.setdefault(t.question_id, []).append(t.text)
    data["questions"] = [dict(q, published_texts=sorted(by_question.get(q["id"], [])))
                         for q in data["questions"]]
    return jsonify(data)


@bp.get("/consultations/<int:consultation_id>/results.csv")
@doc("Aggregated results of a closed consultation as CSV (one row per figure)", tags=["consultations"],
     responses={"200": {"description": "CSV", "media": "text/csv", "schema": {"type": "string"}},
                "404": {"description": "No such consultation, or no results yet"}})
def api_consultation_results_csv(consultation_id):
    c = _results(consultation_id)
    return csv_response(f"consultation-{c.id}-results.csv", tally.RESULT_COLUMNS, tally.result_rows(c.results))
