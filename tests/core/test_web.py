"""Site-wide behaviour: errors, security headers, CSRF, API, health, sanitizer."""

import sqlalchemy as sa

from civic.api import build_openapi, undocumented_routes
from civic.core.sanitize import clean_text, render_markdown


def test_unknown_page_is_404_in_html_and_json_under_api(client):
    resp = client.get("/nope")
    assert resp.status_code == 404 and "Page not found" in resp.get_data(as_text=True)
    resp = client.get("/api/v1/nope")
    assert resp.status_code == 404
    assert set(resp.get_json()["error"]) == {"code", "message", "fields"}


def test_security_headers_forbid_inline_script_and_framing(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_every_page_has_a_skip_link_and_one_h1(client):
    for path in ["/", "/privacy", "/accessibility", "/account/login", "/account/register",
                 "/account/password/forgot"]:
        html = client.get(path).get_data(as_text=True)
        assert html.count("<h1") == 1, path
        assert 'class="skip-link" href="#main"' in html, path


def test_forms_refuse_a_post_without_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    resp = client.post("/account/login", data={"email": "a@example.org", "password": "x" * 12})
    assert resp.status_code == 400


def test_healthz_reports_database_and_queue(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["database"] == "ok"
    assert resp.get_json()["queue"] in ("ok", "inline")


def test_openapi_documents_every_api_route(app, client):
    assert undocumented_routes(app) == []
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/openapi.json" in doc["paths"]
    assert client.get("/api/v1/openapi.json").headers["Access-Control-Allow-Origin"] == "*"
    assert build_openapi(app)["components"]["schemas"]["Error"]


def test_sanitizer_keeps_markdown_and_strips_scripts_and_js_links():
    html = render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1)) https://example.org")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert 'rel="nofollow ugc noopener"' in html
    assert "<h1" not in render_markdown("# Title")


def test_clean_text_removes_bidi_overrides_and_collapses_spaces():
    assert clean_text("  evil\u202e txt \n more ") == "evil txt more"


def test_rate_limit_counts_in_the_database_without_redis(app):
    from civic.core import security
    from civic.core.models import RateCounter
    from civic.extensions import db

    app.config["REDIS_URL"] = None
    assert security.hit("k", 2, 60)[0]
    assert security.hit("k", 2, 60)[0]
    allowed, retry = security.hit("k", 2, 60)
    assert not allowed and 0 < retry <= 60
    assert db.session.scalar(sa.select(RateCounter.count).where(RateCounter.key == "k")) == 3


def test_rate_limit_after_a_write_in_the_same_transaction_does_not_deadlock(app, factory):
    # SQLite has one writer: counting on a second connection would wait for
    # this transaction's own lock.
    from civic.core import audit, security
    from civic.extensions import db

    app.config["REDIS_URL"] = None
    audit.record(None, "test.write")
    db.session.flush()
    assert security.hit("after-write", 5, 60)[0]
    db.session.commit()
    assert security.peek("after-write", 60) == 1


def test_anonymous_pages_set_no_cookie_and_vary_on_language(client):
    # No form, no CSRF token, no session: a shared cache may keep the page.
    resp = client.get("/privacy")
    assert "Set-Cookie" not in resp.headers
    assert {"Cookie", "Accept-Language"} <= {v.strip() for v in resp.headers["Vary"].split(",")}


def test_language_link_switches_and_never_redirects_off_site(client):
    resp = client.get("/language?lang=fr&next=/privacy")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/privacy")
    assert '<html lang="fr">' in client.get("/privacy").get_data(as_text=True)
    assert client.get("/language?lang=en&next=//evil.example/x").headers["Location"] in ("/", "http://localhost/")


def test_rate_limit_after_a_released_savepoint_still_uses_the_writing_connection(app):
    from civic.core import audit, security
    from civic.extensions import db

    app.config["REDIS_URL"] = None
    audit.record(None, "test.write")
    db.session.flush()
    with db.session.begin_nested():
        audit.record(None, "test.nested")
    assert security.hit("after-savepoint", 5, 60)[0]
    db.session.commit()


def test_rate_limit_after_a_core_write_does_not_deadlock(app):
    # queue_mail writes with a Core INSERT, which fires no flush event: the
    # SQLite fallback must still see that this transaction holds the lock.
    import time

    from civic.core import outbox, security
    from civic.extensions import db

    app.config["REDIS_URL"] = None
    outbox.queue_mail("a@example.org", "Subject", "accounts/confirm",
                      {"user": type("U", (), {"display_name": "A"})(), "url": "http://x"})
    started = time.monotonic()
    assert security.hit("after-core-write", 5, 60)[0]
    assert time.monotonic() - started < 5  # not the 15 s busy timeout
    db.session.commit()
    assert security.peek("after-core-write", 60) == 1
