"""Public JSON of citizens' assemblies (no personal data: members appear only
by the first name they chose to show, or as a count)."""

from __future__ import annotations

from flask import jsonify, url_for

from civic.api import MOMENT, MOMENT_OR_NULL, STRING_OR_NULL, bp, doc, obj, page_of, page_params
from civic.assemblies import services
from civic.assemblies.models import AnswerDecision, AssemblyState, ImplementationStatus
from civic.core.export import iso, page_arg


def _url(endpoint, **values):
    return url_for(endpoint, _external=True, **values)


def _assembly_json(a, *, full: bool = False) -> dict:
    data = {"id": a.id, "title": a.title, "summary": a.summary, "state": a.state.value, "size": a.size,
            "url": _url("assemblies.show", assembly_id=a.id),
            "district": {"id": a.district.id, "name": a.district.name} if a.district else None,
            "published_at": iso(a.published_at), "concluded_at": iso(a.concluded_at)}
    if full:
        members = services.members_of(a)
        data.update({
            "mandate_html": a.mandate_html, "answer_delay_days": a.answer_delay_days,
            "members": {"seated": len(members),
                        "shown_first_names": [m.first_name for m in members if m.show_name and m.first_name]},
            "sessions": [{"id": s.id, "title": s.title, "starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at),
                          "place": s.place, "summary_html": s.summary_html} for s in services.sittings_of(a)],
            "documents": [{"id": d.id, "title": d.title, "url": d.url, "session_id": d.sitting_id,
                           "description_html": d.description_html} for d in services.documents_of(a)],
            "hearings": [{"id": h.id, "expert": h.expert, "affiliation": h.affiliation, "topic": h.topic,
                          "session_id": h.sitting_id, "summary_html": h.summary_html}
                         for h in services.hearings_of(a)],
            "working_groups": [{"id": g.id, "name": g.name, "remit_html": g.remit_html, "member_count": len(ids)}
                               for g, ids in services.groups_of(a)],
            "recommendations": [_recommendation_json(r) for r in services.recommendations_of(None, a)],
        })
    return data


def _recommendation_json(r, *, full: bool = False) -> dict:
    data = {"id": r.id, "assembly_id": r.assembly_id, "number": r.number, "title": r.title,
            "url": _url("assemblies.recommendation", rec_id=r.id), "working_group_id": r.group_id,
            "votes": {"for": r.votes_for, "against": r.votes_against, "abstentions": r.votes_abstain},
            "adopted_at": iso(r.adopted_at), "answer_due_at": iso(r.answer_due_at),
            "official_answer": {"decision": r.decision.value, "html": r.answer_html,
                                "answered_at": iso(r.answered_at)} if r.answered_at else None}
    if full:
        data.update({
            "body_html": r.body_html,
            "implementation_updates": [{"at": iso(u.created_at), "status": u.status.value, "progress": u.progress,
                                        "note_html": u.note_html} for u in services.updates_of(r)],
        })
    return data


DISTRICT_SCHEMA = {"oneOf": [{"type": "null"}, obj({"id": {"type": "integer"}, "name": {"type": "string"}})]}
COUNT = {"type": "integer", "minimum": 0}
ASSEMBLY_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"}, "summary": {"type": "string"},
    "state": {"type": "string", "enum": [s.value for s in AssemblyState if s != AssemblyState.DRAFT]},
    "size": {"type": "integer", "minimum": 1}, "url": {"type": "string"}, "district": DISTRICT_SCHEMA,
    "published_at": MOMENT_OR_NULL, "concluded_at": MOMENT_OR_NULL})
RECOMMENDATION_SCHEMA = obj({
    "id": {"type": "integer"}, "assembly_id": {"type": "integer"}, "number": {"type": "integer"},
    "title": {"type": "string"}, "url": {"type": "string"}, "working_group_id": {"type": ["integer", "null"]},
    "votes": obj({"for": COUNT, "against": COUNT, "abstentions": COUNT}),
    "adopted_at": MOMENT, "answer_due_at": MOMENT,
    "official_answer": {"oneOf": [{"type": "null"}, obj({
        "decision": {"type": "string", "enum": [d.value for d in AnswerDecision]},
        "html": {"type": "string"}, "answered_at": MOMENT})]}})
RECOMMENDATION_DETAIL_SCHEMA = obj({
    **RECOMMENDATION_SCHEMA["properties"], "body_html": {"type": "string"},
    "implementation_updates": {"type": "array", "items": obj({
        "at": MOMENT, "status": {"type": "string", "enum": [s.value for s in ImplementationStatus]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "note_html": {"type": "string"}})}})
ASSEMBLY_DETAIL_SCHEMA = obj({
    **ASSEMBLY_SCHEMA["properties"], "mandate_html": {"type": "string"}, "answer_delay_days": {"type": "integer"},
    "members": obj({"seated": COUNT, "shown_first_names": {"type": "array", "items": {"type": "string"}}}),
    "sessions": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "title": {"type": "string"}, "starts_at": MOMENT, "ends_at": MOMENT,
        "place": {"type": "string"}, "summary_html": {"type": "string"}})},
    "documents": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "title": {"type": "string"}, "url": STRING_OR_NULL,
        "session_id": {"type": ["integer", "null"]}, "description_html": {"type": "string"}})},
    "hearings": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "expert": {"type": "string"}, "affiliation": {"type": "string"},
        "topic": {"type": "string"}, "session_id": {"type": ["integer", "null"]},
        "summary_html": {"type": "string"}})},
    "working_groups": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "name": {"type": "string"}, "remit_html": {"type": "string"},
        "member_count": COUNT})},
    "recommendations": {"type": "array", "items": RECOMMENDATION_SCHEMA}})


@bp.get("/assemblies")
@doc("Citizens' assemblies drawn by lot", tags=["assemblies"], params=page_params(),
     responses={"200": {"description": "A page of assemblies", "schema": page_of(ASSEMBLY_SCHEMA)}})
def assemblies():
    page = page_arg()
    rows, has_next = services.list_assemblies(None, page=page)
    return jsonify({"items": [_assembly_json(a) for a in rows], "page": page, "has_next": has_next})


@bp.get("/assemblies/<int:assembly_id>")
@doc("One citizens' assembly: mandate, sessions, documents, hearings, working groups and recommendations",
     tags=["assemblies"], responses={"200": {"description": "The assembly", "schema": ASSEMBLY_DETAIL_SCHEMA}})
def assembly_detail(assembly_id):
    return jsonify(_assembly_json(services.get_assembly(assembly_id, None), full=True))


@bp.get("/assemblies/recommendations/<int:rec_id>")
@doc("One recommendation of a citizens' assembly: text, vote counts, official answer and implementation",
     tags=["assemblies"],
     responses={"200": {"description": "The recommendation", "schema": RECOMMENDATION_DETAIL_SCHEMA}})
def recommendation_detail(rec_id):
    return jsonify(_recommendation_json(services.get_recommendation(rec_id, None), full=True))
