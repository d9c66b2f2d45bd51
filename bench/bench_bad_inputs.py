"""Bad input never costs a 500: a corpus of hostile requests against every route.

Usage (from the repository root)::

    .venv/bin/python bench/bench_bad_inputs.py              # SQLite, a few seconds
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/civic_bad .venv/bin/python bench/bench_bad_inputs.py

Builds the schema in a fresh database (SQLite in a temp dir by default; with
``DATABASE_URL`` pointing at an empty PostgreSQL database, there), loads the
French demo data so that ids exist, then sends, for every route of the URL
map (HTML and API, every method it takes):

- each path id replaced by values beyond the columns (2**31, 2**63, 30 digits),
  zero and a known id;
- query strings with pages beyond 2**63, negative, null, a NUL byte, a lone
  surrogate, all-digit districts beyond any id, unknown enum values;
- for POST routes, form bodies with a NUL byte, and JSON bodies nested 5,000
  deep, with a lone surrogate, of the wrong types, and not JSON at all.

It prints one JSON line: the corpus size, the count of answers by status
class and the list of requests that answered 5xx (the goal is none). CSRF is
off for the corpus (a real browser's form would carry the token; the point is
what the view does with the input). Not part of the unit suite: the tests in
tests/core/test_inputs.py and the schemathesis run in tests/api/test_fuzz.py
hold the same line in CI.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BIG_IDS = ["2147483648", "9223372036854775808", "9" * 30, "0"]
QUERIES = ["page=99999999999999999999", "page=-96092", "page=null", "page=0", "q=%00", "q=%ED%A0%80",
           "district=%00", "district=999999999999999999999999999999", "state=null", "state=nonsense",
           "sort=%00", "envelope=99999999999999999999", "process=-1", "order=%27%20OR%201=1"]
FORM_BODIES = [{"title": "Des bancs\x00", "body": "x\x00", "name": "\x00"}, {"action": "\x00"}]
JSON_BODIES = ["[" * 5000 + "]" * 5000, '{"name": "\\ud800"}', '{"name": {"first": "A"}, "postcode": 31000}',
               '["not", "an", "object"]', "{not json", '{"name": "a\\u0000b"}']


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="civic-bad-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bad.db"
    from civic import create_app
    from civic.demo import load_demo
    from civic.extensions import db

    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "MAIL_URL": None,
                      "MAIL_DIR": f"{tmp}/mail", "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                      "BASE_URL": "http://civic.test", "SHARED_CACHE": False})
    with app.app_context():
        db.create_all()
        load_demo()
    client = app.test_client()
    statuses: Counter = Counter()
    errors: list[str] = []
    sent = 0

    def send(method: str, path: str, **kw) -> None:
        nonlocal sent
        sent += 1
        try:
            resp = client.open(path, method=method, **kw)
            code = resp.status_code
        except Exception as exc:  # noqa: BLE001  (an exception escaping the app is a 500 too)
            code = 599
            errors.append(f"{method} {path}: raised {type(exc).__name__}")
        statuses[f"{code // 100}xx"] += 1
        if code >= 500 and code != 503:
            errors.append(f"{method} {path} -> {code}")

    rules = [r for r in app.url_map.iter_rules() if not r.rule.startswith("/static")]
    for rule in rules:
        names = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        values = BIG_IDS + ["1"] if names else [None]
        for value in values:
            path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m, v=value: v if m.group(1) == "int" else (v or "x"),
                          rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    send("GET", path)
                    for query in QUERIES:
                        send("GET", f"{path}?{query}")
                else:
                    for body in FORM_BODIES:
                        send(method, path, data=body)
                    for body in JSON_BODIES:
                        send(method, path, data=body, content_type="application/json")
    print(json.dumps({"bench": "bad_inputs", "database": url.split(":")[0], "routes": len(rules),
                      "requests": sent, "by_status": dict(sorted(statuses.items())),
                      "server_errors": len(errors), "examples": errors[:20]}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
