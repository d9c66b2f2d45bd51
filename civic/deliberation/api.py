"""Public JSON: debates and comment threads on any kind. No personal data:
authors appear by their public display name only."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from civic.api import MOMENT, MOMENT_OR_NULL, STRING_OR_NULL, bp, doc, named_schema, obj, page_of, page_params
from civic.core import content
from civic.core.errors import NotFound, ValidationError
from civic.core.export import iso, page_arg
from civic.core.urls import absolute_url
from civic.deliberation import permissions, queries, services
from civic.deliberation.models import Debate

ANONYMOUS = AnonymousUserMixin()


COUNTS_SCHEMA = obj({k: {"type": "integer", "minimum": 0} for k in ("for", "against", "neutral")})
DEBATE_SCHEMA = obj({
    "id": {"type": "integer"}, "title": {"type": "string"}, "state": {"enum": ["open", "closed"]},
    "district": {"oneOf": [{"type": "null"}, obj({"code": {"type": "string"}, "name": {"type": "string"}})]},
    "ends_at": MOMENT_OR_NULL, "created_at": MOMENT, "closed_at": MOMENT_OR_NULL,
    "url": {"type": "string"}, "counts": COUNTS_SCHEMA,
})
DEBATE_DETAIL_SCHEMA = obj({
    **DEBATE_SCHEMA["properties"],
    "framing_html": {"type": "string", "description": "Sanitized HTML."},
    "sources": {"type": "array", "items": obj({"title": {"type": "string"}, "url": {"type": "string"}})},
    "conclusion_html": {"type": ["string", "null"], "description": "Sanitized HTML, once closed."},
})
COMMENT = named_schema("Comment", obj({
    "id": {"type": "integer"}, "parent_id": {"type": ["integer", "null"]}, "depth": {"type": "integer", "minimum": 0},
    "state": {"enum": ["published", "deleted", "hidden"],
              "description": "Deleted and hidden comments are placeholders without author or text."},
    "author": {"oneOf": [{"type": "null"}, obj({
        "name": {"type": ["string", "null"], "description": "Public display name (null once the account is deleted)."},
        "badge": {"enum": ["official", "moderator", None]}})]},
    "alignment": {"enum": ["for", "against", "neutral", None]},
    "body_html": STRING_OR_NULL, "official_answer": {"type": "boolean"},
    "created_at": MOMENT, "edited_at": MOMENT_OR_NULL,
    "useful": {"type": "integer", "minimum": 0}, "not_useful": {"type": "integer", "minimum": 0},
    "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"},
                "description": "Replies, with the same shape as a comment, oldest first."},
}))


def _debate_json(d: Debate, counts: dict, detail: bool = False) -> dict:
    out = {
        "id": d.id, "title": d.title, "state": d.state.value,
        "district": {"code": d.district.code, "name": d.district.name} if d.district else None,
        "ends_at": iso(d.ends_at), "created_at": iso(d.created_at), "closed_at": iso(d.closed_at),
        "url": absolute_url("deliberation.debate", debate_id=d.id), "counts": counts,
    }
    if detail:
        out["framing_html"] = d.body_html
        out["sources"] = [{"title": s.title, "url": s.url} for s in d.sources]
        out["conclusion_html"] = d.conclusion_html
    return out


@bp.get("/debates")
@doc("Debates, newest first", tags=["deliberation"], params=page_params() + [
    {"name": "state", "in": "query", "schema": {"enum": ["open", "closed"]}, "description": "Only open or closed debates."},
    {"name": "district", "in": "query", "schema": {"type": "string"},
     "description": "District code (e.g. T06), or \"city\" for city-wide debates."},
], responses={"200": {"description": "A page of debates", "schema": page_of(DEBATE_SCHEMA)},
              "404": {"description": "No district has this code"}})
def api_debates():
    from civic.accounts.models import District
    from civic.extensions import db

    page = page_arg()
    code = (request.args.get("district") or "").strip()
    district_id = None
    if code == "city":
        district_id = 0
    elif code:
        import sqlalchemy as sa

        district_id = db.session.scalar(sa.select(District.id).where(District.code == code))
        if district_id is None:
            raise NotFound()
    debates, has_next = queries.list_debates(request.args.get("state"), district_id, page)
    counts = queries.alignment_counts("debate", [d.id for d in debates])
    return jsonify({"items": [_debate_json(d, counts[d.id]) for d in debates], "page": page, "has_next": has_next})


@bp.get("/debates/<int:debate_id>")
@doc("One debate, with its counts per alignment and its conclusion", tags=["deliberation"],
     responses={"200": {"description": "The debate", "schema": DEBATE_DETAIL_SCHEMA}})
def api_debate(debate_id):
    from civic.extensions import db

    d = db.session.get(Debate, debate_id)
    if d is None or not permissions.can_view_debate(ANONYMOUS, d):
        raise NotFound()
    return jsonify(_debate_json(d, queries.alignment_counts("debate", [d.id])[d.id], detail=True))


def _resolve_kind(name: str) -> str:
    """Registry name ("petition") or its plural alias ("petitions")."""
    if services.comments_spec(name) is not None:
        return name
    if name.endswith("s") and services.comments_spec(name[:-1]) is not None:
        return name[:-1]
    raise NotFound()


def _node_json(node) -> dict:
    c = node.comment
    gone = c.hidden_at is not None or c.deleted_at is not None
    author = None
    if not gone:
        live = c.author is not None and c.author.deleted_at is None
        author = {"name": c.author.display_name if live else None, "badge": c.badge.value if c.badge else None}
    return {
        "id": c.id, "parent_id": c.parent_id, "depth": c.depth,
        "state": "hidden" if c.hidden_at else "deleted" if c.deleted_at else "published",
        "author": author, "alignment": c.alignment.value if c.alignment and not gone else None,
        "body_html": None if gone else c.body_html, "official_answer": bool(c.is_official_answer and not gone),
        "created_at": iso(c.created_at), "edited_at": iso(c.edited_at),
        "useful": node.useful, "not_useful": node.not_useful,
        "replies": [_node_json(r) for r in node.replies],
    }


@bp.get("/<kind>/<int:object_id>/comments")
@doc("Comment threads on any item that accepts comments", tags=["deliberation"],
     description="`kind` is the registry name of the item's kind (`debate`, `petition`...) or its plural "
                 "(`debates`, `petitions`). Threads are top-level comments with their replies; `order` is "
                 "`constructive` (default, bridging score explained at /debates/how-sorting-works), `newest` "
                 "or `oldest`. Hidden comments keep their place as placeholders without author or text, and "
                 "are counted in `hidden_count`.",
     params=page_params() + [{"name": "order", "in": "query",
                              "schema": {"enum": list(queries.ORDERS)}, "description": "Sort order of threads."}],
     responses={"200": {"description": "A page of threads", "schema": page_of(
         COMMENT,
         kind={"type": "string"}, id={"type": "integer"}, order={"enum": list(queries.ORDERS)},
         total={"type": "integer", "minimum": 0, "description": "Published comments (all depths)."},
         hidden_count={"type": "integer", "minimum": 0}, open={"type": "boolean"})},
                "404": {"description": "No such kind, or no such item, or it takes no comments"}})
def api_comments(kind, object_id):
    kind_name = _resolve_kind(kind)
    _kind, obj = content.load(kind_name, object_id, ANONYMOUS)
    spec = services.comments_spec(kind_name)
    order = request.args.get("order") or "constructive"
    if order not in queries.ORDERS:
        raise ValidationError(fields={"order": _("Use constructive, newest or oldest.")})
    page = page_arg()
    tp = queries.thread_page(kind_name, obj.id, None, order, page, per_page=queries.API_PER_PAGE,
                             sided=spec["alignment"])
    return jsonify({"kind": kind_name, "id": obj.id, "order": tp.order, "page": tp.page, "has_next": tp.has_next,
                    "total": tp.total, "hidden_count": tp.hidden_count,
                    "open": services.closed_reason(kind_name, obj) is None,
                    "items": [_node_json(n) for n in tp.threads]})
