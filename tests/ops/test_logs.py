"""Structured logs (LOG_FORMAT=json): one JSON object a line, one line per
request with its id, route, status and duration, job lines tagged with the
job, and never an email or IP address in clear."""

from __future__ import annotations

import io
import json
import logging

import pytest

from civic.core import logs
from tests.factories import user
from tests.petitions.factories import petition

EMAIL = "jeanne.dupont@example.org"
CLIENT_IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def _json_logs(monkeypatch):
    # Before the app fixture: create_app reads LOG_FORMAT from the environment.
    monkeypatch.setenv("LOG_FORMAT", "json")


@pytest.fixture
def lines(app):
    """``lines()`` -> what the app's log handler wrote so far, parsed (each
    must be a JSON object) and, as ``raw``, the text itself."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME)
    buf = io.StringIO()
    handler.setStream(buf)

    def read():
        text = buf.getvalue()
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert all(isinstance(p, dict) for p in parsed)
        return parsed, text
    yield read
    handler.setStream(None)


def _requests(parsed):
    return [p for p in parsed if p["logger"] == "civic.request"]


def test_a_request_is_one_json_line_with_its_fields(app, client, lines):
    p = petition()
    resp = client.get(f"/petitions/{p.id}", headers={"X-Request-Id": "lb-7f3a9c21-0001"},
                      environ_base={"REMOTE_ADDR": CLIENT_IP})
    assert resp.status_code == 200
    assert resp.headers["X-Request-Id"] == "lb-7f3a9c21-0001"
    parsed, raw = lines()
    [line] = _requests(parsed)
    assert line["request_id"] == "lb-7f3a9c21-0001"
    assert line["method"] == "GET"
    assert line["route"] == "/petitions/<int:petition_id>"  # the URL rule, not the path
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["ts"].endswith("+00:00")
    assert line["client"] == logs.keyed_hash(CLIENT_IP)
    assert CLIENT_IP not in raw


def test_an_unsafe_request_id_is_replaced(client, lines):
    for bad in ("short", "x" * 200, "abc def ghi jkl", "evil\u00e9-12345678", f"{EMAIL}-123"):
        resp = client.get("/", headers={"X-Request-Id": bad})
        rid = resp.headers["X-Request-Id"]
        assert rid != bad and len(rid) == 32 and int(rid, 16) >= 0
    parsed, raw = lines()
    assert len(_requests(parsed)) == 5
    assert EMAIL not in raw and "evil" not in raw


def test_no_request_id_gets_a_new_one_each_time(client, lines):
    a = client.get("/").headers["X-Request-Id"]
    b = client.get("/").headers["X-Request-Id"]
    assert a != b
    parsed, _ = lines()
    assert [r["request_id"] for r in _requests(parsed)] == [a, b]


def test_an_unmatched_path_and_a_refused_input_are_logged(client, lines):
    assert client.get("/no/such/page?email=" + EMAIL).status_code == 404
    assert client.get("/petitions/?q=%00").status_code == 422
    parsed, raw = lines()
    routes = [(r["route"], r["status"]) for r in _requests(parsed)]
    assert routes[0] == ("<unmatched>", 404)
    assert routes[1] == ("/petitions/", 422)
    assert EMAIL not in raw


def test_an_email_in_the_query_string_is_not_logged(client, lines):
    resp = client.get(f"/petitions/?q={EMAIL}&email={EMAIL}")
    assert resp.status_code == 200
    parsed, raw = lines()
    assert _requests(parsed)[0]["route"] == "/petitions/"
    assert EMAIL not in raw and "example.org" not in raw


def test_login_attempts_and_mails_never_show_the_address(app, client, lines, run_jobs):
    user(email=EMAIL)
    resp = client.post("/account/login", data={"email": EMAIL, "password": "wrong password"},
                       environ_base={"REMOTE_ADDR": CLIENT_IP})
    assert resp.status_code in (200, 422)
    # The reset mail is written to the mail folder and logged ("mail to ..."):
    # the address is in the record, and must leave as its keyed hash.
    resp = client.post("/account/password/forgot", data={"email": EMAIL},
                       environ_base={"REMOTE_ADDR": CLIENT_IP})
    assert resp.status_code == 200
    parsed, raw = lines()
    assert [r["route"] for r in _requests(parsed)] == ["/account/login", "/account/password/forgot"]
    assert EMAIL not in raw and CLIENT_IP not in raw
    run_jobs()  # with Redis the mail is sent by a worker (here in this process)
    parsed, raw = lines()
    assert EMAIL not in raw
    mail_lines = [p for p in parsed if p["message"].startswith("mail to ")]
    assert mail_lines and f"<email:{logs.keyed_hash(EMAIL)}>" in mail_lines[0]["message"]
    # The mail was sent by a job: its lines carry the job's id and name.
    assert mail_lines[0]["job_id"] and mail_lines[0]["job"].startswith("civic.")
    ends = [p for p in parsed if p["logger"] == "civic.job" and p["job_id"] == mail_lines[0]["job_id"]]
    assert len(ends) == 1 and ends[0]["status"] == "ok" and ends[0]["duration_ms"] >= 0


def test_a_failing_job_logs_its_id_name_and_failure(app, lines):
    from civic.core import jobs

    app.config["JOBS_RAISE"] = False
    jobs.run_inline(app, "tests.ops.test_logs:failing_job", (EMAIL,), {})
    parsed, raw = lines()
    failed = [p for p in parsed if p["logger"] == "civic.jobs"]
    end = [p for p in parsed if p["logger"] == "civic.job"]
    assert failed[0]["job"] == "tests.ops.test_logs:failing_job" and failed[0]["level"] == "ERROR"
    assert "ValueError" in failed[0]["exc"]
    assert end[0]["status"] == "failed" and end[0]["job_id"] == failed[0]["job_id"]
    assert EMAIL not in raw  # neither in the message nor in the traceback


def failing_job(address):
    raise ValueError(f"no account for {address}")


def test_any_logger_is_rewritten(lines):
    logging.getLogger("somewhere.else").warning("contact %s from %s or 2001:db8::7 at 12:30:05", EMAIL, CLIENT_IP)
    parsed, raw = lines()
    [line] = [p for p in parsed if p["logger"] == "somewhere.else"]
    assert line["message"] == (f"contact <email:{logs.keyed_hash(EMAIL)}> from <ip:{logs.keyed_hash(CLIENT_IP)}>"
                               f" or <ip:{logs.keyed_hash('2001:db8::7')}> at 12:30:05")
    assert EMAIL not in raw and CLIENT_IP not in raw and "2001:db8::7" not in raw


def test_the_hash_is_keyed_with_the_secret(app):
    assert logs.keyed_hash(EMAIL) == logs.keyed_hash(EMAIL.upper())
    before = logs.keyed_hash(EMAIL)
    logs.configure("json", "another-secret")
    try:
        assert logs.keyed_hash(EMAIL) != before
    finally:
        logs.configure("json", app.config["SECRET_KEY"])


def test_text_is_the_default(monkeypatch, tmp_path, _database):
    from civic import create_app

    monkeypatch.delenv("LOG_FORMAT")
    create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}",
                "REDIS_URL": None})
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME)
    buf = io.StringIO()
    handler.setStream(buf)
    logging.getLogger("civic.x").info("written to %s", EMAIL)
    handler.setStream(None)
    text = buf.getvalue()
    assert text.startswith("20") and " INFO civic.x: written to <email:" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_loopback_and_bind_addresses_stay_readable():
    assert logs.redact("Listening at: http://0.0.0.0:8000 and 127.0.0.1 and ::1") == \
        "Listening at: http://0.0.0.0:8000 and 127.0.0.1 and ::1"
    assert logs.redact("from 10.1.2.3") == f"from <ip:{logs.keyed_hash('10.1.2.3')}>"


def test_a_page_replayed_from_the_shared_cache_is_logged_with_its_own_id(app, client, lines):
    if not app.config.get("REDIS_URL"):
        pytest.skip("the shared cache lives in Redis")
    p = petition()
    first = client.get(f"/petitions/{p.id}")
    replay = client.get(f"/petitions/{p.id}", headers={"X-Request-Id": "replay-00000001"},
                        environ_base={"REMOTE_ADDR": CLIENT_IP})
    assert replay.status_code == 200 and replay.get_data() == first.get_data()
    # Flask did not answer the second: the cache layer gave it its id and line.
    assert replay.headers.getlist("X-Request-Id") == ["replay-00000001"]
    parsed, raw = lines()
    rows = _requests(parsed)
    assert [r["request_id"] for r in rows] == [first.headers["X-Request-Id"], "replay-00000001"]
    assert rows[1]["route"] == "/petitions/<int:petition_id>" and rows[1]["status"] == 200
    assert rows[1]["client"] == logs.keyed_hash(CLIENT_IP) and CLIENT_IP not in raw
