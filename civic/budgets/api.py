"""Budget open data on /api/v1: editions, projects, results, and anonymised
ballots in the pabulib format. Never personal data: no authors, no voters."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, jsonify, request
from sqlalchemy.orm import selectinload

from civic.api import MOMENT_OR_NULL, STRING_OR_NULL, bp, doc, obj, page_of, page_params
from civic.core import phases
from civic.core.errors import NotFound, ValidationError
from civic.core.export import iso, page_arg, safe_cell
from civic.core.inputs import as_id
from civic.core.urls import absolute_url
from civic.extensions import db

from . import services
from .models import (
    BudgetEdition,
    Envelope,
    ImplementationStatus,
    Project,
    ProjectStatus,
    ResultsStatus,
    SelectionRule,
    VoteRule,
)

PAGE_SIZE = 50
TAGS = ["budgets"]

INT_OR_NULL = {"type": ["integer", "null"]}
NUMBER = {"type": "number"}
EDITION_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"}, "currency": {"type": "string"},
    "total_amount": {"type": "integer", "minimum": 0}, "vote_rule": {"enum": [r.value for r in VoteRule]},
    "selection_rule": {"enum": [r.value for r in SelectionRule]},
    "rules": obj({"min_choices": INT_OR_NULL, "max_choices": INT_OR_NULL, "min_spend_percent": INT_OR_NULL,
                  "points_total": INT_OR_NULL, "points_max_per_project": INT_OR_NULL, "rank_max": INT_OR_NULL,
                  "frozen": {"type": "boolean"}}),
    "phase": STRING_OR_NULL, "results_status": {"enum": [r.value for r in ResultsStatus]},
    "envelopes": {"type": "array", "items": obj({"id": {"type": "integer"}, "district": STRING_OR_NULL,
                                                 "name": STRING_OR_NULL, "amount": {"type": "integer"}})},
    "url": {"type": "string"}})
EDITION_DETAIL_SCHEMA = obj({
    **EDITION_SCHEMA["properties"],
    "phases": {"type": "array", "items": obj({"code": {"type": "string"}, "starts_at": MOMENT_OR_NULL,
                                              "ends_at": MOMENT_OR_NULL,
                                              "status": {"enum": ["past", "current", "upcoming"]}})},
    "turnout": {"type": "array", "description": "From the voting phase on.",
                "items": obj({"envelope_id": {"type": "integer"}, "ballots": {"type": "integer", "minimum": 0}})},
    "implementation_progress": {"type": ["integer", "null"], "minimum": 0, "maximum": 100}}, optional=("turnout",))
PROJECT_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"}, "envelope_id": {"type": "integer"},
    "location": {"type": "string"}, "category": {"type": "string"},
    "estimated_cost": {"type": "integer", "minimum": 0}, "cost": {"type": "integer", "minimum": 0},
    "status": {"enum": [s.value for s in ProjectStatus]}, "review_reason": STRING_OR_NULL,
    "merged_into_id": INT_OR_NULL, "selected": {"type": ["boolean", "null"]},
    "implementation_status": {"enum": [s.value for s in ImplementationStatus] + [None]},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "url": {"type": "string"}})
_BY_PROJECT = {"type": "object", "description": "By project id.", "additionalProperties": NUMBER}
RESULTS_SCHEMA = obj({
    "edition_id": {"type": "integer"}, "selection_rule": {"enum": [r.value for r in SelectionRule]},
    "envelopes": {"type": "array", "items": obj({
        "envelope_id": {"type": "integer"}, "district": STRING_OR_NULL, "amount": {"type": "integer"},
        "rules": {"type": "object", "description": "By selection rule: the official one and the comparison.",
                  "propertyNames": {"enum": [r.value for r in SelectionRule]},
                  "additionalProperties": obj({
                      "official": {"type": "boolean"}, "selected": {"type": "array", "items": {"type": "integer"}},
                      "spent": NUMBER, "budget": NUMBER, "ballots": {"type": "integer", "minimum": 0},
                      "scores": _BY_PROJECT, "supporters": _BY_PROJECT,
                      "explanations": {"type": "object", "description": "By project id: why it was (not) selected.",
                                       "additionalProperties": obj({"project": {"type": "string"},
                                                                    "selected": {"type": "boolean"},
                                                                    "reason": {"type": "string"}})}})},
        "pabulib_url": {"type": "string"}})}})
PABULIB_JSON_SCHEMA = obj({
    "meta": {"type": "object", "additionalProperties": {"type": "string"}},
    "projects": {"type": "array", "items": obj({"project_id": {"type": "string"}, "cost": NUMBER,
                                                "name": STRING_OR_NULL, "selected": {"type": ["boolean", "null"]}})},
    "votes": {"type": "array", "items": obj({"voter_id": {"type": "string"},
                                             "vote": {"type": "array", "items": {"type": "string"}},
                                             "points": {"type": ["array", "null"], "items": NUMBER}})}})
NOT_PUBLISHED = {"description": "No such edition, or its results are not published yet"}


def _edition(edition_id: int) -> BudgetEdition:
    edition = services.get_edition(edition_id, with_envelopes=True)
    if edition.is_draft:
        raise NotFound()  # the API is public: drafts are not
    return edition


def _edition_json(e: BudgetEdition, phase_code: str | None) -> dict:
    return {
        "id": e.id, "title": e.title, "currency": e.currency, "total_amount": e.total_amount,
        "vote_rule": e.vote_rule.value, "selection_rule": e.selection_rule.value,
        "rules": {"min_choices": e.min_choices, "max_choices": e.max_choices,
                  "min_spend_percent": e.min_spend_percent, "points_total": e.points_total,
                  "points_max_per_project": e.points_max_per_project, "rank_max": e.rank_max,
                  "frozen": e.rules_frozen},
        "phase": phase_code, "results_status": e.results_status.value,
        "envelopes": [{"id": v.id, "district": v.district.code if v.district else None,
                       "name": v.district.name if v.district else None, "amount": v.amount} for v in e.envelopes],
        "url": absolute_url("budgets.edition", edition_id=e.id),
    }


def _project_json(p: Project) -> dict:
    return {"id": p.id, "title": p.title, "envelope_id": p.envelope_id, "location": p.location,
            "category": p.category, "estimated_cost": p.estimated_cost, "cost": p.cost, "status": p.status.value,
            "review_reason": p.review_reason, "merged_into_id": p.merged_into_id, "selected": p.selected,
            "implementation_status": p.implementation_status.value if p.implementation_status else None,
            "progress": p.progress, "url": absolute_url("budgets.project", project_id=p.id)}


def _published(edition: BudgetEdition) -> None:
    if edition.results_status != ResultsStatus.PUBLISHED:
        raise NotFound("The results of this edition are not published yet.")


@bp.get("/budgets")
@doc("Participatory budget editions", tags=TAGS, params=page_params(),
     responses={"200": {"description": "A page of editions, newest first", "schema": page_of(EDITION_SCHEMA)}})
def api_budgets():
    page = page_arg()
    rows = db.session.scalars(sa.select(BudgetEdition).where(BudgetEdition.published_at.is_not(None)).options(
        selectinload(BudgetEdition.envelopes).selectinload(Envelope.district))
        .order_by(BudgetEdition.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    ids = [e.id for e in rows[:PAGE_SIZE]]
    current = dict(db.session.execute(sa.select(phases.Phase.owner_id, phases.Phase.code).where(
        phases.Phase.owner_kind == services.KIND, phases.Phase.owner_id.in_(ids),
        phases.Phase.is_current.is_(True))).all()) if ids else {}
    return jsonify({"items": [_edition_json(e, current.get(e.id)) for e in rows[:PAGE_SIZE]], "page": page,
                    "has_next": len(rows) > PAGE_SIZE})


@bp.get("/budgets/<int:edition_id>")
@doc("One budget edition: rules, envelopes, phases and turnout", tags=TAGS,
     responses={"200": {"description": "The edition", "schema": EDITION_DETAIL_SCHEMA}})
def api_budget(edition_id):
    edition = _edition(edition_id)
    data = _edition_json(edition, services.current_phase_code(edition))
    data["phases"] = [{"code": p.code, "starts_at": iso(p.starts_at), "ends_at": iso(p.ends_at), "status": p.status}
                      for p in phases.phases_for(services.KIND, edition.id)]
    if data["phase"] in ("voting", "results", "implementation"):
        data["turnout"] = [{"envelope_id": t["envelope"].id, "ballots": t["ballots"]}
                           for t in services.turnout(edition)]
    progress = services.edition_progress(edition)
    data["implementation_progress"] = progress["percent"] if progress else None
    return jsonify(data)


@bp.get("/budgets/<int:edition_id>/projects")
@doc("Projects of a budget edition", tags=TAGS,
     params=page_params() + [{"name": "envelope", "in": "query", "schema": {"type": "integer"},
                              "description": "Only the projects of this envelope."}],
     responses={"200": {"description": "A page of projects", "schema": page_of(PROJECT_SCHEMA)}})
def api_budget_projects(edition_id):
    edition = _edition(edition_id)
    page = page_arg()
    stmt = services.visible_projects_query(edition.id)
    envelope = as_id(request.args.get("envelope"))
    if envelope:
        stmt = stmt.where(Project.envelope_id == envelope)
    rows = db.session.scalars(stmt.order_by(Project.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return jsonify({"items": [_project_json(p) for p in rows[:PAGE_SIZE]], "page": page,
                    "has_next": len(rows) > PAGE_SIZE})


@bp.get("/budgets/<int:edition_id>/results")
@doc("Published results: per envelope, the selected projects, scores and the rules engine's explanations, "
     "for the edition's rule and the comparison rule", tags=TAGS,
     responses={"200": {"description": "Results per envelope", "schema": RESULTS_SCHEMA}, "404": NOT_PUBLISHED})
def api_budget_results(edition_id):
    edition = _edition(edition_id)
    _published(edition)
    results = services.results_for(edition)
    out = []
    for envelope in edition.envelopes:
        rules_out = {}
        for rule, r in results.get(envelope.id, {}).items():
            rules_out[rule.value] = {"official": r.official, "selected": [int(p) for p in r.selected],
                                     "spent": r.spent, "budget": r.budget, "ballots": r.ballots,
                                     "scores": r.scores, "supporters": r.supporters,
                                     "explanations": r.explanations}
        out.append({"envelope_id": envelope.id, "district": envelope.district.code if envelope.district else None,
                    "amount": envelope.amount, "rules": rules_out,
                    "pabulib_url": absolute_url("api.api_budget_pabulib", edition_id=edition.id,
                                                envelope=envelope.id)})
    return jsonify({"edition_id": edition.id, "selection_rule": edition.selection_rule.value, "envelopes": out})


def formula_safe(election):
    """The election with its texts (project names and fields, meta values)
    neutralised like every public CSV: a .pb file opens in a spreadsheet too.
    Numbers are kept as they are, so the file still computes the same results."""
    def text(value):
        return value if isinstance(value, str) and _NUMBER.fullmatch(value) else safe_cell(value)

    election.meta = {key: text(value) for key, value in election.meta.items()}
    for project in election.projects.values():
        project.name = text(project.name) if project.name else project.name
        project.fields = {key: text(value) for key, value in project.fields.items()}
    return election


_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")


@bp.get("/budgets/<int:edition_id>/pabulib")
@doc("Anonymised ballots and results of one envelope in the pabulib .pb format (or JSON with format=json), "
     "to recompute the outcome with independent tools", tags=TAGS,
     params=[{"name": "envelope", "in": "query", "schema": {"type": "integer"},
              "description": "Envelope id (required when the edition has several envelopes)."},
             {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["pb", "json"]},
              "description": "pb (default) or json."}],
     responses={"200": {"description": "A .pb file (or its JSON with format=json)",
                        "content": {"text/csv": {"type": "string"}, "application/json": PABULIB_JSON_SCHEMA}},
                "404": NOT_PUBLISHED})
def api_budget_pabulib(edition_id):
    from .pabulib import write_pb_string

    edition = _edition(edition_id)
    _published(edition)
    envelope_id = as_id(request.args.get("envelope"))
    if envelope_id is None:
        if len(edition.envelopes) != 1:
            raise ValidationError(fields={"envelope": "choose an envelope: "
                                          + ", ".join(str(e.id) for e in edition.envelopes)})
        envelope = edition.envelopes[0]
    else:
        envelope = next((e for e in edition.envelopes if e.id == envelope_id), None)
        if envelope is None:
            raise NotFound()
    election = services.build_election(envelope, with_selected=True)
    if request.args.get("format") == "json":
        return jsonify({"meta": election.meta,
                        "projects": [{"project_id": p.id, "cost": p.cost, "name": p.name, "selected": p.selected}
                                     for p in election.projects.values()],
                        "votes": [{"voter_id": v.voter_id, "vote": v.projects, "points": v.points}
                                  for v in election.votes]})
    name = f"budget_{edition.id}_envelope_{envelope.id}.pb"
    return Response(write_pb_string(formula_safe(election)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
