"""Public JSON of processes and proposals (no personal data: display names of
authors are public on the site, email addresses and supporters never are)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request

from civic.api import MOMENT, MOMENT_OR_NULL, STRING_OR_NULL, bp, doc, obj, page_of, page_params
from civic.core import phases
from civic.core.errors import ValidationError
from civic.core.export import iso, page_arg
from civic.core.inputs import as_id
from civic.extensions import db
from civic.processes import services
from civic.processes.models import ImplementationStatus, Process, ProposalState, ThresholdType


def _phase_json(p):
    return {"code": p.code, "title": p.title, "starts_at": iso(p.starts_at), "ends_at": iso(p.ends_at),
            "capabilities": list(p.capabilities or []), "status": p.status}


def _process_json(p: Process, phase_rows, *, full: bool = False) -> dict:
    current = next((ph for ph in phase_rows if ph.is_current), None)
    data = {
        "id": p.id, "title": p.title, "summary": p.summary, "url": services_url("processes.show", process_id=p.id),
        "district": {"id": p.district.id, "name": p.district.name} if p.district else None,
        "current_phase": _phase_json(current) if current else None,
        "published_at": iso(p.published_at),
    }
    if full:
        data.update({
            "description_html": p.description_html,
            "phases": [_phase_json(ph) for ph in phase_rows],
            "categories": list(p.categories or []),
            "rules": {"support_limit": p.support_limit, "threshold_type": p.threshold_type.value,
                      "threshold_value": (p.threshold_value / 100 if p.threshold_type.value == "percent"
                                          else p.threshold_value),
                      "supports_needed_now": services.threshold_needed(p),
                      "requires_verification": p.requires_verification,
                      "answer_delay_days": p.answer_delay_days},
            "linked": [{"kind": i["kind"], "id": i["id"], "title": i["title"], "url": i["url"]}
                       for i in services.linked_items(p)],
            "results_html": p.results_html if p.results_published_at else None,
            "results_published_at": iso(p.results_published_at),
            "proposals_url": services_url("api.proposals", process=p.id),
            "csv_url": services_url("processes.proposals_csv", process_id=p.id),
        })
    return data


def services_url(endpoint, **values):
    from flask import url_for

    return url_for(endpoint, _external=True, **values)


def _proposal_json(p, *, full: bool = False) -> dict:
    data = {
        "id": p.id, "process_id": p.process_id, "title": p.title,
        "url": services_url("processes.proposal", proposal_id=p.id),
        "author": p.author.display_name if p.author else None,
        "district": {"id": p.district.id, "name": p.district.name} if p.district else None,
        "category": p.category, "place": p.place, "state": p.state.value,
        "support_count": p.support_count,
        "created_at": iso(p.created_at), "queued_at": iso(p.queued_at), "answer_due_at": iso(p.answer_due_at),
        "official_answer": {"decision": p.state.value if p.answered_at else None, "html": p.answer_html,
                            "answered_at": iso(p.answered_at)} if p.answered_at else None,
    }
    if full:
        data.update({
            "body_html": p.body_html,
            "withdrawn_reason": p.withdrawn_reason,
            "history": [{"at": iso(e.created_at), "event": e.action.split(".", 1)[1]}
                        for e in services.proposal_history(p)],
            "clarifications": [{"at": iso(c.created_at), "html": c.body_html} for c in services.clarifications(p)],
            "implementation_updates": [{"at": iso(u.created_at), "status": u.status.value, "progress": u.progress,
                                        "note_html": u.note_html} for u in services.implementation_updates(p)],
        })
    return data


DISTRICT_SCHEMA = {"oneOf": [{"type": "null"}, obj({"id": {"type": "integer"}, "name": {"type": "string"}})]}
PHASE_SCHEMA = obj({
    "code": {"type": "string"}, "title": {"type": "string"}, "starts_at": MOMENT_OR_NULL, "ends_at": MOMENT_OR_NULL,
    "capabilities": {"type": "array", "items": {"type": "string"}},
    "status": {"type": "string", "enum": ["past", "current", "upcoming"]}})
PROCESS_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"}, "summary": {"type": "string"},
    "url": {"type": "string"}, "district": DISTRICT_SCHEMA,
    "current_phase": {"oneOf": [{"type": "null"}, PHASE_SCHEMA]}, "published_at": MOMENT_OR_NULL})
PROCESS_DETAIL_SCHEMA = obj({
    **PROCESS_SCHEMA["properties"],
    "description_html": {"type": "string"}, "phases": {"type": "array", "items": PHASE_SCHEMA},
    "categories": {"type": "array", "items": {"type": "string"}},
    "rules": obj({"support_limit": {"type": ["integer", "null"]},
                  "threshold_type": {"type": "string", "enum": [t.value for t in ThresholdType]},
                  "threshold_value": {"type": ["number", "null"]},
                  "supports_needed_now": {"type": ["integer", "null"]},
                  "requires_verification": {"type": "boolean"}, "answer_delay_days": {"type": "integer"}}),
    "linked": {"type": "array", "items": obj({"kind": {"type": "string"}, "id": {"type": "integer"},
                                              "title": {"type": "string"}, "url": {"type": "string"}})},
    "results_html": STRING_OR_NULL, "results_published_at": MOMENT_OR_NULL,
    "proposals_url": {"type": "string"}, "csv_url": {"type": "string"}})

PROPOSAL_SCHEMA = obj({
    "id": {"type": "integer"}, "process_id": {"type": "integer"}, "title": {"type": "string"},
    "url": {"type": "string"},
    "author": {"type": ["string", "null"], "description": "Public display name of the author."},
    "district": DISTRICT_SCHEMA, "category": STRING_OR_NULL, "place": STRING_OR_NULL,
    "state": {"type": "string", "enum": [s.value for s in ProposalState]},
    "support_count": {"type": "integer", "minimum": 0},
    "created_at": MOMENT, "queued_at": MOMENT_OR_NULL, "answer_due_at": MOMENT_OR_NULL,
    "official_answer": {"oneOf": [{"type": "null"}, obj({
        "decision": STRING_OR_NULL, "html": STRING_OR_NULL, "answered_at": MOMENT})]}})
PROPOSAL_DETAIL_SCHEMA = obj({
    **PROPOSAL_SCHEMA["properties"],
    "body_html": {"type": "string"}, "withdrawn_reason": STRING_OR_NULL,
    "history": {"type": "array", "items": obj({"at": MOMENT, "event": {"type": "string"}})},
    "clarifications": {"type": "array", "items": obj({"at": MOMENT, "html": {"type": "string"}})},
    "implementation_updates": {"type": "array", "items": obj({
        "at": MOMENT, "status": {"type": "string", "enum": [s.value for s in ImplementationStatus]},
        "progress": {"type": ["integer", "null"]}, "note_html": STRING_OR_NULL})}})


@bp.get("/processes")
@doc("Participatory processes", tags=["processes"], params=[
    *page_params(),
    {"name": "archive", "in": "query", "schema": {"type": "boolean"},
     "description": "true: past processes only; otherwise ongoing and upcoming ones."}],
    responses={"200": {"description": "A page of processes", "schema": page_of(PROCESS_SCHEMA)}})
def processes():
    archive = request.args.get("archive", "").lower() in ("1", "true", "yes")
    page = page_arg()
    rows, has_next = services.list_processes(None, archive=archive, page=page)
    ids = [p.id for p in rows]
    phase_rows = db.session.scalars(sa.select(phases.Phase).where(
        phases.Phase.owner_kind == "process", phases.Phase.owner_id.in_(ids)).order_by(phases.Phase.position)).all()
    by_process: dict[int, list] = {}
    for ph in phase_rows:
        by_process.setdefault(ph.owner_id, []).append(ph)
    return jsonify({"items": [_process_json(p, by_process.get(p.id, [])) for p in rows], "page": page,
                    "has_next": has_next})


@bp.get("/processes/<int:process_id>")
@doc("One participatory process, with its phases, rules, linked budget or consultation and results",
     tags=["processes"], responses={"200": {"description": "The process", "schema": PROCESS_DETAIL_SCHEMA}})
def process_detail(process_id):
    p = services.get_process(process_id, None)
    return jsonify(_process_json(p, phases.phases_for("process", p.id), full=True))


@bp.get("/proposals")
@doc("Proposals made in participatory processes", tags=["processes"], params=[
    {"name": "process", "in": "query", "schema": {"type": "integer"}, "description": "Process id."},
    {"name": "state", "in": "query", "schema": {"type": "string", "enum": [s.value for s in ProposalState]}},
    {"name": "district", "in": "query", "schema": {"type": "integer"}, "description": "District id."},
    {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["newest", "supports"]},
     "description": "Default newest."},
    *page_params()],
    responses={"200": {"description": "A page of proposals", "schema": page_of(PROPOSAL_SCHEMA)},
               "404": {"description": "No such process"}})
def proposals():
    page = page_arg()
    process_id = as_id(request.args.get("process"))
    if process_id is not None:
        services.get_process(process_id, None)
    state = request.args.get("state") or None
    if state is not None and state not in {s.value for s in ProposalState}:
        raise ValidationError(fields={"state": "unknown state"})
    order = request.args.get("order", "newest")
    if order not in ("newest", "supports"):
        raise ValidationError(fields={"order": "use newest or supports"})
    filters = services.ProposalFilters(district_id=as_id(request.args.get("district")), state=state)
    rows, has_next = services.list_proposals(None, process_id, filters, order=order, page=page)
    return jsonify({"items": [_proposal_json(p) for p in rows], "page": page, "has_next": has_next})


@bp.get("/proposals/<int:proposal_id>")
@doc("One proposal: text, support count, state, official answer and history", tags=["processes"],
     responses={"200": {"description": "The proposal", "schema": PROPOSAL_DETAIL_SCHEMA}})
def proposal_detail(proposal_id):
    p = services.get_proposal(proposal_id, None)
    return jsonify(_proposal_json(p, full=True))
