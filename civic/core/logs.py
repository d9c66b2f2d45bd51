"""Logging: plain text by default, one JSON object per line with ``LOG_FORMAT=json``.

What is logged (docs/deploy.md, "Logs"):

- each request, once, after it is answered: ``request_id`` (a sane incoming
  ``X-Request-Id`` is kept, otherwise one is made; it is echoed in the
  response header), ``method``, ``route`` (the URL rule, never the raw path
  and its query string), ``status``, ``duration_ms`` and ``client`` (the
  client's address as a keyed hash);
- each job run by a worker or inline: ``job_id`` and ``job`` on every line the
  job logs, and one closing line with its ``status`` and ``duration_ms``.

No email address or IP address is ever written in clear: the filter on the
one handler rewrites every email-looking and IPv4-looking text of a message
(and of a traceback) into ``<email:1a2b3c4d5e>`` / ``<ip:…>``, an HMAC of the
value keyed with SECRET_KEY, so one person's lines can still be followed in
one deployment without the logs holding the address.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import os
import re
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import g, request

HANDLER_NAME = "civic"
request_log = logging.getLogger("civic.request")
job_log = logging.getLogger("civic.job")

# An incoming request id is kept only when it cannot carry anything else:
# 8 to 128 characters of this set (a UUID, a load balancer's trace id).
_SANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{7,127}$")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
# IPv6 with at least three groups (a "::" or five colons): times like 12:30:05 stay.
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])")

_job = contextvars.ContextVar("civic_job", default=None)
# The HMAC key: SECRET_KEY, set by configure(); from the environment before
# (gunicorn's master logs before any app exists).
_key = {"value": (os.environ.get("SECRET_KEY") or "civic").encode()}

# Attributes every LogRecord has; anything else passed with ``extra=`` is a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def keyed_hash(value: str) -> str:
    """Short keyed hash (HMAC-SHA256 with SECRET_KEY, 10 hex digits) of an
    email or address: the same value gives the same hash in one deployment."""
    return hmac.new(_key["value"], value.strip().lower().encode(), hashlib.sha256).hexdigest()[:10]


def _ip(match: re.Match) -> str:
    import ipaddress

    text = match.group(0)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return text  # not an address after all (an IPv6-looking time or id)
    if addr.is_loopback or addr.is_unspecified:
        return text  # a server's own bind address says nothing about anyone
    return f"<ip:{keyed_hash(text)}>"


def redact(text: str) -> str:
    """``text`` with every email and IP address (except loopback and
    0.0.0.0 / ::) replaced by its keyed hash."""
    text = _EMAIL.sub(lambda m: f"<email:{keyed_hash(m.group(0))}>", text)
    return _IPV6.sub(_ip, _IPV4.sub(_ip, text))


class RedactFilter(logging.Filter):
    """Rewrites the message (arguments merged in) and any traceback so that
    no email or IP address reaches the output, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: logging reports it as usual
            return True
        record.msg, record.args = redact(message), None
        # Formatters write exc_text when it is set: compute it here, redacted.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        job = _job.get()
        if job is not None and not hasattr(record, "job_id"):
            record.job_id, record.job = job
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts``, ``level``, ``logger``, ``message``,
    then the record's extra fields (request and job fields), then ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                out[name] = value if isinstance(value, (int, float, bool, type(None))) else redact(str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The plain format of the demo and development, with the fields appended."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if extra:
            first, _, rest = line.partition("\n")
            line = first + " " + " ".join(f"{k}={v}" for k, v in extra.items()) + (("\n" + rest) if rest else "")
        return line


class StderrHandler(logging.StreamHandler):
    """Writes to the *current* ``sys.stderr`` (test runners replace it), or to
    the stream given with ``setStream``."""

    def __init__(self):
        logging.Handler.__init__(self)
        self._stream = None

    @property
    def stream(self):
        return self._stream or sys.stderr

    @stream.setter
    def stream(self, value):
        self._stream = value


def configure(fmt: str, secret_key: str) -> logging.Handler:
    """Install the one handler on the root logger (idempotent: a new app in
    the same process replaces the previous handler), ``fmt`` "json" or "text"."""
    _key["value"] = (secret_key or "civic").encode()
    root = logging.getLogger()
    for handler in list(root.handlers):
        # Ours from an earlier app, or basicConfig's plain one; a test
        # runner's capturing handlers (subclasses) stay.
        if handler.get_name() == HANDLER_NAME or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    handler = StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactFilter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    if fmt == "json":
        # The development server's access lines (raw path, client address) are
        # replaced by civic.request's; its start-up lines are warnings.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return handler


def request_id(incoming: str | None) -> str:
    """The incoming id when it is sane, else a new one (32 hex digits)."""
    if incoming and _SANE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def log_request(rid: str, method: str, route: str, status: int, started: float | None, client: str | None) -> None:
    """The one line of a request (``started``: its ``time.perf_counter()``)."""
    request_log.info("%s %s %s", method, route, status, extra={
        "request_id": rid, "method": method, "route": route, "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
        "client": keyed_hash(client) if client else None})


class JobRun:
    """What :func:`job_context` yields: the job's id, and ``failed()`` for a
    runner that handles the job's exception itself."""

    def __init__(self, job_id: str):
        self.id, self.status = job_id, "ok"

    def failed(self) -> None:
        self.status = "failed"


@contextmanager
def job_context(name: str, job_id: str | None = None):
    """Tag every line logged inside with ``job_id`` and ``job``, then log the
    job's end (``status`` ok or failed, ``duration_ms``)."""
    run = JobRun(job_id or uuid.uuid4().hex)
    token = _job.set((run.id, name))
    started = time.perf_counter()
    try:
        yield run
    except BaseException:
        run.failed()
        raise
    finally:
        job_log.log(logging.INFO if run.status == "ok" else logging.WARNING, "job %s %s", name, run.status,
                    extra={"job_id": run.id, "job": name, "status": run.status,
                           "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        _job.reset(token)


def init_app(app) -> None:
    configure(app.config.get("LOG_FORMAT", "text"), app.config.get("SECRET_KEY") or "")

    @app.before_request
    def _start():
        g.civic_request_id = request_id(request.headers.get("X-Request-Id"))
        g.civic_log_started = time.perf_counter()

    @app.after_request
    def _finish(resp):
        # A before_request registered earlier may have answered already (bad
        # input refused): the request is still logged, its id made here.
        rid = g.pop("civic_request_id", None) or request_id(request.headers.get("X-Request-Id"))
        started = g.pop("civic_log_started", None)
        resp.headers["X-Request-Id"] = rid
        rule = request.url_rule
        log_request(rid, request.method, rule.rule if rule is not None else "<unmatched>",
                    resp.status_code, started, request.remote_addr)
        return resp
