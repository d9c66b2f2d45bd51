"""A shared page cache in Redis, in front of Flask, for the hot public URLs.

In a national surge a petition's page and its count endpoint take most of
the traffic. Both are already marked cacheable by their views
(``Cache-Control: public, max-age=<tally interval>``, ``Last-Modified``):
a CDN or reverse proxy may keep them. This WSGI layer does the same for
deployments without one, shared by every web process through Redis:

- a module registers a URL pattern with :func:`register`;
- on a miss Flask answers; the complete response (status 200, headers, body)
  is kept for its ``max-age``, but only when it says ``public`` and sets no
  cookie, so what is replayed is exactly what a shared HTTP cache could keep;
- pages that depend on the visitor (``anonymous_only``) are only served from
  and stored to the cache for requests without the session or remember-me
  cookie, keyed by the language negotiated from ``Accept-Language``, as the
  app itself negotiates it; any query string other than tracking parameters
  goes to Flask;
- a matching ``If-Modified-Since`` is answered 304;
- services call :func:`purge` after a commit that changes what a cached URL
  shows; otherwise an entry lives at most its ``max-age``.

Without Redis, or when Redis is lost, everything goes to Flask.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from werkzeug.datastructures import LanguageAccept, ResponseCacheControl
from werkzeug.http import parse_accept_header, parse_cache_control_header, parse_date

from civic.core import logs

PREFIX = "civic:shared"
# Headers not replayed: recomputed (length, date) or per-visitor by nature.
_SKIP = {"date", "content-length", "set-cookie", "x-request-id"}
# Query parameters added by newsletters and social networks to shared links.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref)$")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    anonymous_only: bool


_RULES: list[Rule] = []


def register(name: str, pattern: str, *, anonymous_only: bool = True) -> None:
    """Cache ``GET`` requests whose path matches ``pattern`` (one group: the
    object id, used by :func:`purge`). ``anonymous_only=False`` is for answers
    that never depend on the visitor (the JSON API)."""
    if any(r.name == name for r in _RULES):
        return
    _RULES.append(Rule(name, re.compile(pattern), anonymous_only))


def _key(name: str, object_id: str, lang: str) -> str:
    return f"{PREFIX}:{name}:{object_id}:{lang}"


def purge(name: str, object_ids) -> None:
    """Drop the cached copies of ``name`` for ``object_ids`` (all languages).
    Call it after the commit that changed them."""
    from flask import current_app

    from civic.core.redis import redis_client

    client = redis_client()
    ids = list(object_ids)
    if client is None or not ids:
        return
    langs = list(current_app.config.get("LANGUAGES", ["en"])) + ["-"]
    try:
        client.delete(*[_key(name, str(i), lang) for i in ids for lang in langs])
    except Exception:  # Redis lost: entries expire on their own
        current_app.logger.warning("shared cache: could not purge %s %s", name, ids)


class SharedCache:
    """WSGI middleware; installed once by ``create_app``."""

    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app
        config = flask_app.config
        self.cookies = (config.get("SESSION_COOKIE_NAME", "session"),
                        config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        self.languages = list(config.get("LANGUAGES", ["en"]))

    def _client(self):
        if not self.flask_app.config.get("REDIS_URL"):
            return None
        with self.flask_app.app_context():
            from civic.core.redis import redis_client

            return redis_client()

    def _match(self, environ):
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        path = environ.get("PATH_INFO", "")
        for rule in _RULES:
            m = rule.pattern.match(path)
            if m is None:
                continue
            if rule.anonymous_only:
                if self._has_visitor_cookie(environ.get("HTTP_COOKIE", "")):
                    return None
                query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
                if any(not _TRACKING.match(k) for k, _v in query):
                    return None
                lang = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
                return _key(rule.name, m.group(1), lang.best_match(self.languages) or self.languages[0])
            if environ.get("QUERY_STRING"):
                return None
            return _key(rule.name, m.group(1), "-")
        return None

    def _has_visitor_cookie(self, header: str) -> bool:
        return any(f"{name}=" in header for name in self.cookies)

    def __call__(self, environ, start_response):
        key = self._match(environ) if _RULES else None
        client = self._client() if key else None
        if client is None:
            return self.wsgi_app(environ, start_response)
        try:
            raw = client.get(key)
        except Exception:  # Redis lost: Flask answers from the database
            return self.wsgi_app(environ, start_response)
        if raw:
            return self._replay_logged(json.loads(raw), environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        chunks = list(self.wsgi_app(environ, capture))
        self._store(client, key, captured, chunks, environ)
        return chunks

    def _replay_logged(self, entry, environ, start_response):
        # A replay never reaches Flask: it gets its request id and its log
        # line here, with the URL rule the app would have matched.
        started = time.perf_counter()
        rid = logs.request_id(environ.get("HTTP_X_REQUEST_ID"))
        answered = {}

        def respond(status, headers, exc_info=None):
            answered["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers + [("X-Request-Id", rid)], exc_info)

        body = self._replay(entry, environ, respond)
        try:
            route = self.flask_app.url_map.bind_to_environ(environ).match(return_rule=True)[0].rule
        except Exception:
            route = "<unmatched>"
        logs.log_request(rid, "GET", route, answered.get("status", 200), started, environ.get("REMOTE_ADDR"))
        return body

    @staticmethod
    def _replay(entry, environ, start_response):
        headers = [tuple(h) for h in entry["headers"]]
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        modified = parse_date({k.lower(): v for k, v in headers}.get("last-modified"))
        if since and modified and modified <= since:
            start_response("304 NOT MODIFIED", [h for h in headers if h[0].lower() != "content-type"])
            return [b""]
        body = entry["body"].encode()
        start_response("200 OK", headers + [("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _store(client, key, captured, chunks, environ) -> None:
        headers = captured.get("headers", [])
        names = {k.lower(): v for k, v in headers}
        cache_control = parse_cache_control_header(names.get("cache-control"), cls=ResponseCacheControl)
        if not captured.get("status", "").startswith("200") or "set-cookie" in names \
                or not cache_control.public or not cache_control.max_age or environ.get("HTTP_IF_MODIFIED_SINCE"):
            return
        entry = {"headers": [(k, v) for k, v in headers if k.lower() not in _SKIP],
                 "body": b"".join(chunks).decode()}
        try:
            client.set(key, json.dumps(entry), ex=cache_control.max_age)
        except Exception:
            pass
