"""The /api/v1 blueprint: JSON only, no key, CORS open, documented in OpenAPI.

Modules add routes with ``@bp.get(...)`` and document them with
:func:`doc`; ``/api/v1/openapi.json`` is built from the URL map, and a test
fails if a route under /api/v1 is not documented.
"""

from __future__ import annotations

import re
from functools import cache

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator

from civic.core.errors import ValidationError
from civic.core.export import MAX_PAGE
from civic.core.inputs import MAX_ID
from civic.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def doc(summary: str, *, tags: list[str] | None = None, params: list[dict] | None = None,
        responses: dict | None = None, body: dict | None = None, description: str | None = None):
    """Attach OpenAPI operation data to a view.

    ``params``: ``[{"name", "in": "query"|"path", "schema": {...}, "description"}]``
    (path parameters are added automatically). ``responses``: ``{"200": {"description",
    "schema"}}`` (or ``"content": {media: schema}`` for several media types); error
    responses (4xx, 5xx) share the common Error schema. 404 (for a route with an id in
    its path) and 422 (for one with query parameters or a body) are documented by
    :func:`build_openapi` itself: the edge answers them.
    """
    def deco(fn):
        fn._openapi = {"summary": summary, "tags": tags or [], "params": params or [],
                       "responses": responses or {"200": {"description": "OK"}}, "body": body,
                       "description": description}
        return fn
    return deco


def page_params() -> list[dict]:
    return [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
             "description": "Page number, from 1."}]


def obj(properties: dict, *, optional=(), **extra) -> dict:
    """An object schema whose ``properties`` are all required but ``optional``."""
    return {"type": "object", "properties": properties,
            "required": [k for k in properties if k not in optional], **extra}


def page_of(item: dict, **more) -> dict:
    """The schema of one page of a list: ``items``, ``page``, ``has_next`` (and ``more``)."""
    return obj({"items": {"type": "array", "items": item}, "page": {"type": "integer", "minimum": 1},
                "has_next": {"type": "boolean"}, **more})


STRING_OR_NULL = {"type": ["string", "null"]}
MOMENT = {"type": "string", "format": "date-time"}
MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["code", "message", "fields"]}},
    "required": ["error"],
}


# Text that no column can store (a NUL) is refused at the edge: the document says so.
NO_NUL = "^[^\\x00]*$"


# Named schemas of components/schemas (a recursive one refers to itself by
# "#/components/schemas/<name>"): Error, and what the modules add.
SCHEMAS: dict[str, dict] = {"Error": ERROR_SCHEMA}


def named_schema(name: str, schema: dict) -> dict:
    """Publish ``schema`` as ``#/components/schemas/<name>``; returns a reference to it."""
    SCHEMAS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


# Any JSON value the edge lets through: no NUL in a text or a name (nesting is
# bounded too, at MAX_JSON_DEPTH). Bodies take it for the fields they ignore.
_VALUE = "#/components/schemas/Value"
ANY_VALUE = named_schema("Value", {"anyOf": [
    {"type": ["number", "boolean", "null"]}, {"type": "string", "pattern": NO_NUL},
    {"type": "array", "items": {"$ref": _VALUE}},
    {"type": "object", "propertyNames": {"pattern": NO_NUL}, "additionalProperties": {"$ref": _VALUE}}]})


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
        ids = [n for n in names if f"<int:{n}>" in rule.rule]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if meta is None:
                continue
            op = {"summary": meta["summary"], "operationId": f"{rule.endpoint}.{method.lower()}",
                  "tags": meta["tags"], "parameters": [], "responses": {}}
            if meta["description"]:
                op["description"] = meta["description"]
            for name in names:
                # An id beyond what an INTEGER column holds matches no route (404).
                schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID} if name in ids else {"type": "string"}
                op["parameters"].append({"name": name, "in": "path", "required": True, "schema": schema})
            op["parameters"].extend({**p, "schema": _query_schema(p.get("schema") or {})} if p.get("in") == "query"
                                    else p for p in meta["params"])
            responses = dict(meta["responses"])
            if ids:
                responses.setdefault("404", {"description": "No such item, or not public"})
            if meta["params"] or meta["body"]:
                responses.setdefault("422", {"description": "A parameter or the body is not as documented: "
                                                            "`fields` names each"})
            for status, resp in sorted(responses.items()):
                entry = {"description": resp.get("description", "")}
                if "schema" in resp:
                    entry["content"] = {resp.get("media", "application/json"): {"schema": resp["schema"]}}
                elif "content" in resp:  # several media types: {media: schema}
                    entry["content"] = {media: {"schema": schema} for media, schema in resp["content"].items()}
                elif status[0] in "45":
                    entry["content"] = _ERROR_CONTENT
                op["responses"][status] = entry
            op["responses"].setdefault("default", {"description": "Error", "content": _ERROR_CONTENT})
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
        "components": {"schemas": dict(SCHEMAS)},
    }


_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def undocumented_routes(app) -> list[str]:
    return [r.rule for r in app.url_map.iter_rules()
            if r.endpoint.startswith("api.") and not hasattr(app.view_functions[r.endpoint], "_openapi")]


# --- requests checked against the document ----------------------------------------
# The same schemas that /api/v1/openapi.json publishes validate every request
# before its view runs, so the document and the behaviour cannot drift.

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def _query_value(raw: str, schema: dict):
    kind = schema.get("type")
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):
            raise ValueError
        return int(raw)
    if kind == "boolean":
        if raw not in ("true", "false", "1", "0"):
            raise ValueError
        return raw in ("true", "1")
    return raw


def _query_schema(schema: dict) -> dict:
    """A query parameter's schema as published and checked: an integer without
    a stated range is an id (what an INTEGER column holds); free text has no NUL."""
    if schema.get("type") == "integer" and "maximum" not in schema:
        return {"minimum": 0, **schema, "maximum": MAX_ID}
    if schema.get("type") == "string" and not {"enum", "pattern", "const"} & set(schema):
        return {**schema, "pattern": NO_NUL}
    return schema


@cache
def _param_validator(view, name: str) -> Draft202012Validator:
    param = next(p for p in view._openapi["params"] if p["name"] == name)
    return Draft202012Validator(_query_schema(param.get("schema") or {}))


class _TypeError:
    """A value that could not even be read as its documented type."""

    validator = "type"

    def __init__(self, schema):
        self.validator_value, self.schema = schema.get("type"), schema


def _message(error) -> str:
    v = error.validator
    if v == "type":
        expected = error.validator_value
        return _("Must be of type %(type)s.", type=", ".join(expected) if isinstance(expected, list) else expected)
    if v == "required":
        return _("This field is required.")
    if v == "enum":
        return _("Choose one of: %(values)s.", values=", ".join(map(str, error.validator_value)))
    if v in ("maxLength", "maxItems"):
        return _("Use at most %(n)d characters.", n=error.validator_value) if v == "maxLength" else \
            _("At most %(n)d items.", n=error.validator_value)
    if v in ("minimum", "maximum"):
        return _("Must be a whole number from %(low)s to %(high)s.", low=error.schema.get("minimum", "…"),
                 high=error.schema.get("maximum", "…"))
    return _("This value is not valid.")


# Rules of a body that its service checks itself, with a sentence per field
# ("Tick the box to confirm you may sign."): the edge leaves them to it. Types,
# lengths beyond reason and unknown values are refused here.
SERVICE_WORDED = frozenset({"required", "minLength", "pattern", "const", "format"})


def _check_request() -> None:
    """``before_request`` of the API: query parameters and JSON bodies
    against the operation's documented schemas; 422 with ``fields``."""
    view = current_app.view_functions.get(request.endpoint or "")
    meta = getattr(view, "_openapi", None)
    if meta is None:
        return
    fields = {}
    for param in meta["params"]:
        if param.get("in") != "query" or param["name"] not in request.args:
            continue
        validator = _param_validator(view, param["name"])
        try:
            value = _query_value(request.args[param["name"]], validator.schema)
        except ValueError:
            fields[param["name"]] = _message(_TypeError(validator.schema))
            continue
        error = next(iter(validator.iter_errors(value)), None)
        if error is not None:
            fields[param["name"]] = _message(error)
    if meta["body"] and request.method in ("POST", "PUT", "PATCH"):
        data = request.get_json(silent=True)
        if data is None:
            fields["body"] = _("Send a JSON object.")
        else:
            for error in _body_validator(view).iter_errors(data):
                if error.validator in SERVICE_WORDED:
                    continue  # the service checks these too and names each field with its own, clearer words
                path = ".".join(str(p) for p in error.absolute_path)
                fields.setdefault(path or "body", _message(error))
    if fields:
        raise ValidationError(fields=fields)


@cache
def _body_validator(view) -> Draft202012Validator:
    # Rooted at the document's components, so that references resolve.
    return Draft202012Validator({"components": {"schemas": SCHEMAS}, "allOf": [view._openapi["body"]]})


bp.before_request(_check_request)


@bp.get("/openapi.json")
@doc("This document", tags=["meta"], responses={"200": {"description": "OpenAPI 3.1", "schema": obj({
    "openapi": {"type": "string"}, "info": {"type": "object"}, "servers": {"type": "array"},
    "paths": {"type": "object"}, "components": {"type": "object"}})}})
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
