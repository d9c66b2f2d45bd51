"""Domain errors and how they reach users.

Services raise these; views never build error responses by hand. Under
``/api/`` the answer is ``{"error": {"code", "message", "fields"}}``; elsewhere
an HTML page with the same message.
"""

from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException


class CivicError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, fields: dict | None = None, **extra):
        super().__init__(message or self.default_message())
        self.message = message or self.default_message()
        self.fields = fields or {}
        self.extra = extra

    def default_message(self) -> str:
        return _("The request could not be processed.")


class NotFound(CivicError):
    status = 404
    code = "not_found"

    def default_message(self):
        return _("This page does not exist or is not available to you.")


class PermissionDenied(CivicError):
    status = 403
    code = "forbidden"

    def default_message(self):
        return _("You are not allowed to do this.")


class ValidationError(CivicError):
    status = 422
    code = "invalid"

    def default_message(self):
        return _("Some information is missing or incorrect.")


class InvalidTransition(CivicError):
    status = 409
    code = "conflict"

    def default_message(self):
        return _("This action is no longer possible in the current state.")


class Gone(CivicError):
    status = 410
    code = "gone"

    def default_message(self):
        return _("This content has been removed.")


class RateLimited(CivicError):
    status = 429
    code = "rate_limited"

    def __init__(self, message=None, retry_after: int = 60, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def default_message(self):
        return _("Too many attempts. Please wait a moment and try again.")


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    else:
        resp = make_response(render_template("core/error.html", status=status, message=message, code=code))
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def init_app(app):
    @app.errorhandler(CivicError)
    def handle_civic(err: CivicError):
        headers = {}
        if isinstance(err, RateLimited):
            headers["Retry-After"] = str(err.retry_after)
        return error_response(err.status, err.code, err.message, err.fields, headers)

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        messages = {
            404: _("This page does not exist or is not available to you."),
            405: _("This action is not allowed here."),
            400: _("The request could not be processed. Please reload the page and try again."),
            413: _("The file sent is too large."),
        }
        code = (err.name or "error").lower().replace(" ", "_")
        headers = {}
        if getattr(err, "valid_methods", None):  # 405 says which methods the URL takes
            headers["Allow"] = ", ".join(err.valid_methods)
        return error_response(err.code or 500, code, messages.get(err.code, err.description or ""), headers=headers)

    @app.errorhandler(sa_exc.DataError)
    @app.errorhandler(OverflowError)  # SQLite's driver refuses an integer beyond 64 bits before the query
    def handle_out_of_range(err):
        # A value the database cannot hold (a number beyond its column...):
        # the input is wrong, not the server. Nothing was written.
        from civic.extensions import db

        db.session.rollback()
        return error_response(422, "invalid", _("A value sent is out of range or malformed."))

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def handle_database_unavailable(err):
        # The database is restarting or unreachable (or, on SQLite, locked
        # for too long): nothing was written; say so, and when to try again.
        from civic.core import replica
        from civic.extensions import db

        try:
            retried = replica.retry_on_primary(err)
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as again:  # the primary is down too
            err, retried = again, None
        if retried is not None:
            return retried
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the connection is gone; the pool replaces it)
            pass
        app.logger.warning("database unavailable: %s", err)
        return error_response(503, "unavailable", _("The service is briefly unavailable. Nothing you sent was "
                                                    "recorded; please try again in a moment."),
                              headers={"Retry-After": "5"})

    @app.errorhandler(500)
    def handle_500(err):
        return error_response(500, "server_error", _("Something went wrong on our side. Nothing you sent was lost; please try again."))
