"""Input refused at the edge, once, before any view runs: ids beyond what the
columns hold, NUL characters and lone surrogates in any text, JSON bodies
nested beyond reason. Each is a clear 4xx, never a 500 from the database."""

from __future__ import annotations

import json

from flask import Request, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from civic.core.errors import ValidationError

# Ids are INTEGER columns on PostgreSQL: a larger one can match no row.
MAX_ID = 2**31 - 1
# No request body of the API nests deeper than a few levels.
MAX_JSON_DEPTH = 20


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only what an INTEGER column can hold, so
    ``/petitions/99999999999999999999`` is a 404 like any unknown id."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def as_id(value) -> int | None:
    """``value`` as a row id if it is one an INTEGER column can hold (digits
    only, at most :data:`MAX_ID`), else None: a filter on an impossible id
    matches nothing instead of overflowing the database driver."""
    text = str(value if value is not None else "")
    # ASCII digits only: "²" or "٣" pass ``isdigit`` but not ``int``.
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def bad_text(value: str) -> bool:
    """Whether ``value`` holds what no text column can store: a NUL, or a
    lone surrogate (not UTF-8 encodable)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(value, depth=0):
    """The first problem in a decoded JSON value, or None."""
    if depth > MAX_JSON_DEPTH:
        return _("The request body is nested too deeply.")
    if isinstance(value, str):
        return _("Text may not contain a NUL character or an invalid character.") if bad_text(value) else None
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        problem = _walk(item, depth + 1)
        if problem:
            return problem
    return None


class CivicRequest(Request):
    """A request whose JSON body is refused with 422 (not a 500) when it is
    not JSON, nests too deeply or carries text no column can store."""

    def on_json_loading_failed(self, e):
        raise ValidationError(_("The request body is not valid JSON."))

    def get_json(self, force=False, silent=False, cache=True):
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise ValidationError(_("The request body is nested too deeply.")) from None
        except json.JSONDecodeError:
            if silent:
                return None
            raise ValidationError(_("The request body is not valid JSON.")) from None
        problem = _walk(data)
        if problem:
            raise ValidationError(problem)
        return data


def refuse_bad_text() -> None:
    """``before_request``: a NUL or a lone surrogate in a query or form value
    is a 422 naming the field."""
    fields = {}
    # A page's form read from a JSON body (Flask-WTF does that) needs an
    # object of fields; anything else is refused here, not a 500 there.
    page_json = request.is_json and request.method in ("POST", "PUT", "PATCH") and not request.path.startswith("/api/")
    if page_json and not isinstance(request.get_json(silent=True), dict):
        raise ValidationError(_("Send the form's fields, or a JSON object."))
    sources = [request.args]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype != "application/json":
        sources.append(request.form)
    for source in sources:
        for key, values in source.lists():
            if bad_text(key) or any(bad_text(v) for v in values):
                fields[key] = _("This value contains a character that is not allowed.")
    if fields:
        raise ValidationError(_("Some information contains a character that is not allowed."), fields=fields)


def init_app(app) -> None:
    """Install the edge checks; call before any blueprint is registered (the
    ``int`` converter applies to rules added afterwards)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = CivicRequest
    app.before_request(refuse_bad_text)
