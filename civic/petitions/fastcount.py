"""A shared micro-cache in front of the count endpoint.

In a national surge every open petition page polls
``GET /api/v1/petitions/<id>/count``; the answer can only change once per
tally interval and says so in its ``Cache-Control``. This WSGI layer keeps the
complete response Flask produced (status 200, every header, the body) in
Redis for one tally interval and replays it, answering 304 to a matching
``If-Modified-Since``. It is the same response a reverse proxy would cache,
shared by all web processes; misses, errors and anything else go to Flask.
Without Redis it does nothing.
"""

from __future__ import annotations

import json
import re

from werkzeug.http import parse_date

from civic.petitions.settings import TALLY_SECONDS

PATH = re.compile(r"^/api/v1/petitions/(\d+)/count$")
_SKIP = {"date", "content-length", "set-cookie", "vary"}


def cache_key(petition_id: int) -> str:
    return f"civic:petitions:count:{petition_id}"


class CountCache:
    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def _client(self):
        if not self.flask_app.config.get("REDIS_URL"):
            return None
        with self.flask_app.app_context():
            from civic.core.redis import redis_client

            return redis_client()

    def __call__(self, environ, start_response):
        m = PATH.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "GET" else None
        client = self._client() if m else None
        if client is None:
            return self.wsgi_app(environ, start_response)
        key = cache_key(int(m.group(1)))
        try:
            raw = client.get(key)
        except Exception:  # Redis lost: Flask answers from the database
            return self.wsgi_app(environ, start_response)
        if raw:
            entry = json.loads(raw)
            headers = [tuple(h) for h in entry["headers"]]
            since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
            modified = parse_date(dict((k.lower(), v) for k, v in headers).get("last-modified"))
            if since and modified and modified <= since:
                start_response("304 NOT MODIFIED", [h for h in headers if h[0].lower() != "content-type"])
                return [b""]
            body = entry["body"].encode()
            start_response("200 OK", headers + [("Content-Length", str(len(body)))])
            return [body]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        chunks = list(self.wsgi_app(environ, capture))
        names = {k.lower() for k, _v in captured.get("headers", [])}
        if captured.get("status", "").startswith("200") and "set-cookie" not in names \
                and not environ.get("HTTP_IF_MODIFIED_SINCE"):
            entry = {"headers": [(k, v) for k, v in captured["headers"] if k.lower() not in _SKIP],
                     "body": b"".join(chunks).decode()}
            try:
                client.set(key, json.dumps(entry), ex=TALLY_SECONDS)
            except Exception:
                pass
        return chunks


def forget_counts(petition_ids) -> None:
    """Drop cached counts (the tally calls it after committing new totals)."""
    from civic.core.redis import redis_client

    client = redis_client()
    if client is None or not petition_ids:
        return
    try:
        client.delete(*[cache_key(pid) for pid in petition_ids])
    except Exception:
        pass
