"""Petitions in the JSON API: public data only, never a signer's name or email."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from flask import jsonify, request, url_for
from flask_babel import gettext as _

from civic.api import ANY_VALUE, MOMENT, MOMENT_OR_NULL, NO_NUL, STRING_OR_NULL, bp, doc, obj, page_of, page_params
from civic.core.errors import Gone, NotFound, ValidationError
from civic.core.export import iso, page_arg
from civic.core.security import client_ip
from civic.extensions import db
from civic.petitions import queries, services
from civic.petitions.labels import reason_label
from civic.petitions.models import Petition, PetitionState
from civic.petitions.settings import TALLY_SECONDS


def _public(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.state not in queries.LISTED_STATES:
        if petition is not None and petition.state == PetitionState.REMOVED:
            raise Gone(reason_label(petition.reason_code) or None)
        raise NotFound()
    return petition


def summary_json(p: Petition) -> dict:
    return {"id": p.id, "title": p.title, "state": p.state.value, "topic": p.topic,
            "district": p.district.code if p.district else None, "signature_count": p.signature_count,
            "opened_at": iso(p.opened_at), "closes_at": iso(p.closes_at),
            "url": url_for("petitions.detail", petition_id=p.id, _external=True)}


def detail_json(p: Petition) -> dict:
    response, debate = p.answer("response"), p.answer("debate")
    data = summary_json(p)
    data.update({
        "background": p.background, "details": p.details, "decision_maker": p.decision_maker,
        "paper_signature_count": p.paper_count,
        "timestamps": {"created_at": iso(p.created_at), "submitted_at": iso(p.submitted_at),
                       "moderation_at": iso(p.moderation_at), "opened_at": iso(p.opened_at),
                       "closes_at": iso(p.closes_at), "closed_at": iso(p.closed_at),
                       "rejected_at": iso(p.rejected_at), "response_threshold_at": iso(p.response_threshold_at),
                       "debate_threshold_at": iso(p.debate_threshold_at), "response_due_at": iso(p.response_due_at),
                       "tallied_at": iso(p.tallied_at)},
        "thresholds": {"response": p.response_threshold, "debate": p.debate_threshold},
        "response_overdue": p.response_overdue,
        "rejection": {"code": p.reason_code, "reason": reason_label(p.reason_code),
                      "explanation": p.reason_text} if p.state == PetitionState.REJECTED else None,
        "signatures_by_district": [{"district": code, "name": name, "count": n}
                                   for name, code, n in queries.district_counts(p.id)],
        "response": {"summary": response.summary, "body_html": response.body_html, "decision": response.decision,
                     "published_at": iso(response.published_at)} if response else None,
        "debate": {"date": debate.debate_date.isoformat() if debate.debate_date else None,
                   "summary": debate.summary, "url": debate.debate_url, "body_html": debate.body_html,
                   "published_at": iso(debate.published_at)} if debate else None,
    })
    return data


def _cached(resp, last_modified=None):
    resp.headers["Cache-Control"] = f"public, max-age={TALLY_SECONDS}, stale-while-revalidate={TALLY_SECONDS * 6}"
    if last_modified is not None:
        resp.last_modified = last_modified
        resp.make_conditional(request)
    return resp


PETITION_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"},
    "state": {"type": "string", "enum": [s.value for s in queries.LISTED_STATES]}, "topic": {"type": "string"},
    "district": STRING_OR_NULL, "signature_count": {"type": "integer", "minimum": 0},
    "opened_at": MOMENT_OR_NULL, "closes_at": MOMENT_OR_NULL, "url": {"type": "string"}})
_TIMESTAMPS = ("created_at", "submitted_at", "moderation_at", "opened_at", "closes_at", "closed_at", "rejected_at",
               "response_threshold_at", "debate_threshold_at", "response_due_at", "tallied_at")
PETITION_DETAIL_SCHEMA = obj({
    **PETITION_SCHEMA["properties"],
    "background": {"type": "string"}, "details": {"type": "string"}, "decision_maker": STRING_OR_NULL,
    "paper_signature_count": {"type": "integer", "minimum": 0},
    "timestamps": obj({k: MOMENT if k == "created_at" else MOMENT_OR_NULL for k in _TIMESTAMPS}),
    "thresholds": obj({"response": {"type": ["integer", "null"]}, "debate": {"type": ["integer", "null"]}}),
    "response_overdue": {"type": "boolean"},
    "rejection": {"oneOf": [{"type": "null"}, obj({"code": STRING_OR_NULL, "reason": STRING_OR_NULL,
                                                   "explanation": STRING_OR_NULL})]},
    "signatures_by_district": {"type": "array", "items": obj({
        "district": STRING_OR_NULL, "name": STRING_OR_NULL, "count": {"type": "integer"}})},
    "response": {"oneOf": [{"type": "null"}, obj({"summary": {"type": "string"}, "body_html": {"type": "string"},
                                                  "decision": STRING_OR_NULL, "published_at": MOMENT_OR_NULL})]},
    "debate": {"oneOf": [{"type": "null"}, obj({"date": STRING_OR_NULL, "summary": {"type": "string"},
                                                "url": STRING_OR_NULL, "body_html": STRING_OR_NULL,
                                                "published_at": MOMENT_OR_NULL})]}})
COUNT_SCHEMA = obj({
    "id": {"type": "integer"}, "signature_count": {"type": "integer", "minimum": 0},
    "paper_signature_count": {"type": "integer", "minimum": 0}, "next_threshold": {"type": ["integer", "null"]},
    "state": {"type": "string", "enum": [s.value for s in queries.LISTED_STATES]}, "tallied_at": MOMENT_OR_NULL})
# Addresses at special-use domains (RFC 6761: .test, .invalid...) are refused.
_NOT_SPECIAL_USE = "^(?!.*[@.](?:{})$)".format("|".join(
    "".join(f"[{c}{c.upper()}]" for c in name) for name in SPECIAL_USE_DOMAIN_NAMES))
SIGN_SCHEMA = {"type": "object", "required": ["name", "email", "postcode", "attest"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 100,
             "pattern": "[^\\s\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069]",
             "allOf": [{"pattern": NO_NUL}], "description": "The signer's name (not only spaces)."},
    "email": {"type": "string", "format": "email", "maxLength": 254, "pattern": _NOT_SPECIAL_USE,
              "description": "Not at a special-use domain (.test, .local, .invalid...)."},
    "postcode": {"type": "string", "pattern": "^[0-9A-Za-z-]{2,12}$", "description": "For example 31000."},
    "attest": {"const": True, "description": "The signer confirms they may sign."},
    "notify": {"type": "boolean"}, "locale": {"type": "string", "enum": ["en", "fr"]}},
    "propertyNames": {"pattern": NO_NUL}, "additionalProperties": ANY_VALUE}
GONE = {"description": "Removed by the moderators (the message gives the reason)"}


@bp.get("/petitions")
@doc("List public petitions", tags=["petitions"], params=[
    {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "closed", "rejected"]},
     "description": "Default: open and closed."},
    {"name": "district", "in": "query", "schema": {"type": "string"}, "description": "District code, e.g. T06."},
    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Text search."},
    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(queries.SORTS)}},
    *page_params()],
    responses={"200": {"description": "One page of petitions", "schema": page_of(PETITION_SCHEMA)}})
def api_list():
    args = request.args
    page = page_arg()
    sort = args.get("sort", "newest")
    rows, has_next = queries.list_page(page, state=args.get("state") or None,
                                       district_id=queries.district_by_code_or_id(args.get("district")),
                                       q=(args.get("q") or "").strip()[:100] or None,
                                       sort=sort if sort in queries.SORTS else "newest")
    return _cached(jsonify({"items": [summary_json(p) for p in rows], "page": page, "has_next": has_next}))


@bp.get("/petitions/<int:petition_id>")
@doc("One petition: text, state, lifecycle timestamps, counts by district, response and debate",
     tags=["petitions"], responses={"200": {"description": "The petition", "schema": PETITION_DETAIL_SCHEMA},
                                    "410": GONE})
def api_detail(petition_id):
    p = _public(petition_id)
    return _cached(jsonify(detail_json(p)), p.updated_at)


@bp.get("/petitions/<int:petition_id>/count")
@doc("The current signature count (cacheable for one tally interval)", tags=["petitions"],
     responses={"200": {"description": "Count", "schema": COUNT_SCHEMA}, "410": GONE})
def api_count(petition_id):
    # Light: a few columns, no ORM object. The shared cache (see
    # civic.petitions.caching) keeps the whole response in Redis for one tally
    # interval, so most polls of a surge never get here.
    row = db.session.execute(sa.select(
        Petition.id, Petition.state, Petition.signature_count, Petition.paper_count, Petition.response_threshold,
        Petition.debate_threshold, Petition.tallied_at, Petition.updated_at, Petition.reason_code)
        .where(Petition.id == petition_id)).first()
    if row is None or row.state not in queries.LISTED_STATES:
        if row is not None and row.state == PetitionState.REMOVED:
            raise Gone(reason_label(row.reason_code) or None)
        raise NotFound()
    nxt = next((t for t in (row.response_threshold, row.debate_threshold) if t and row.signature_count < t), None)
    return _cached(jsonify({"id": row.id, "signature_count": row.signature_count,
                            "paper_signature_count": row.paper_count, "state": row.state.value,
                            "next_threshold": nxt, "tallied_at": iso(row.tallied_at)}),
                   row.tallied_at or row.updated_at)


@bp.post("/petitions/<int:petition_id>/signatures")
@doc("Sign a petition: the signer receives a confirmation mail; the signature counts once confirmed",
     tags=["petitions"], body=SIGN_SCHEMA,
     responses={"202": {"description": "Accepted: a confirmation mail is on its way",
                         "schema": obj({"status": {"const": "accepted"}, "message": {"type": "string"}})},
                "404": {"description": "No such petition"},
                "409": {"description": "The petition does not take signatures (now)"}})
def api_sign(petition_id):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(fields={"body": _("Send a JSON object.")})
    services.sign_petition(None, petition_id, name=str(data.get("name") or ""), email=str(data.get("email") or ""),
                           postcode=str(data.get("postcode") or ""), attest=data.get("attest") is True,
                           notify=data.get("notify") is True, ip=client_ip(),
                           locale=str(data.get("locale") or "en"))
    db.session.commit()
    resp = jsonify({"status": "accepted",
                    "message": _("Check your mailbox: the signature counts once you confirm it.")})
    resp.status_code = 202
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/petitions/signatures/<token>/confirm")
@doc("Confirm a signature with the token from the confirmation mail (what the mail's button does)",
     tags=["petitions"], responses={"200": {"description": "Confirmed (confirming twice is harmless)",
                                           "schema": obj({"status": {"const": "confirmed"},
                                                          "petition_id": {"type": "integer"}})},
                                    "422": {"description": "The token is forged or outdated"},
                                    "409": {"description": "Withdrawn, cancelled, or the petition is closed"}})
def api_confirm(token):
    sig = services.confirm_signature(token)
    db.session.commit()
    resp = jsonify({"status": "confirmed", "petition_id": sig.petition_id})
    resp.headers["Cache-Control"] = "no-store"
    return resp
