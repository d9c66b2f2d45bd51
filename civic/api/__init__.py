"""The /api/v1 blueprint: JSON only, no key, CORS open, documented in OpenAPI.

Modules add routes with ``@bp.get(...)`` and document them with
:func:`doc`; ``/api/v1/openapi.json`` is built from the URL map, and a test
fails if a route under /api/v1 is not documented.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

from civic.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def doc(summary: str, *, tags: list[str] | None = None, params: list[dict] | None = None,
        responses: dict | None = None, body: dict | None = None, description: str | None = None):
    """Attach OpenAPI operation data to a view.

    ``params``: ``[{"name", "in": "query"|"path", "schema": {...}, "description"}]``
    (path parameters are added automatically). ``responses``: ``{"200": {"description",
    "schema"}}``; the error responses share the common Error schema.
    """
    def deco(fn):
        fn._openapi = {"summary": summary, "tags": tags or [], "params": params or [],
                       "responses": responses or {"200": {"description": "OK"}}, "body": body,
                       "description": description}
        return fn
    return deco


def page_params() -> list[dict]:
    return [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
             "description": "Page number, from 1."}]


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["code", "message", "fields"]}},
    "required": ["error"],
}


def _openapi_path(rule: str) -> tuple[str, list[str]]:
    names = []

    def repl(m):
        names.append(m.group(2))
        return "{" + m.group(2) + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), names


def build_openapi(app) -> dict:
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "_openapi", None)
        path, names = _openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if meta is None:
                continue
            op = {"summary": meta["summary"], "operationId": f"{rule.endpoint}.{method.lower()}",
                  "tags": meta["tags"], "parameters": [], "responses": {}}
            if meta["description"]:
                op["description"] = meta["description"]
            for name in names:
                op["parameters"].append({"name": name, "in": "path", "required": True,
                                         "schema": {"type": "integer" if "int:" in rule.rule else "string"}})
            op["parameters"].extend(meta["params"])
            for status, resp in meta["responses"].items():
                entry = {"description": resp.get("description", "")}
                if "schema" in resp:
                    entry["content"] = {resp.get("media", "application/json"): {"schema": resp["schema"]}}
                op["responses"][status] = entry
            op["responses"].setdefault("default", {"description": "Error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
            if meta["body"]:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["body"]}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{app.config['SITE_NAME']} API", "version": "1",
                 "description": "Public data of the participation platform. No key needed; "
                                "never contains personal data."},
        "servers": [{"url": app.config["BASE_URL"]}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }


def undocumented_routes(app) -> list[str]:
    return [r.rule for r in app.url_map.iter_rules()
            if r.endpoint.startswith("api.") and not hasattr(app.view_functions[r.endpoint], "_openapi")]


@bp.get("/openapi.json")
@doc("This document", tags=["meta"])
def openapi():
    return jsonify(build_openapi(current_app))


@bp.after_request
def _cors(resp):
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return resp


def init_app(app):
    """Register the API blueprint: called after every module added its routes."""
    app.register_blueprint(bp)
