"""/metrics: who may scrape it, and that its figures move."""

from __future__ import annotations

import re

from civic.extensions import db


def _value(body: str, name: str, **labels) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(want) + r"\}" if labels else "") + r" (\S+)"
    m = re.search(r"^" + pattern + "$", body, re.M)
    return float(m.group(1)) if m else 0.0


def test_loopback_may_scrape(client):
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    assert "civic_http_requests_total" in resp.text
    assert resp.headers["Cache-Control"] == "no-store"


def test_other_address_is_refused(client):
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 403
    assert "civic_http_requests_total" not in resp.text


def test_token_lets_another_address_in(app, client, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-token")
    far = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=far, headers={"Authorization": "Bearer wrong"}).status_code == 403
    resp = client.get("/metrics", environ_base=far, headers={"Authorization": "Bearer s3cret-token"})
    assert resp.status_code == 200 and "civic_outbox_pending" in resp.text


def test_allow_list_setting(tmp_path, _database):
    from civic import create_app
    from tests.conftest import _config

    cfg = _config(tmp_path, _database.get("url") or f"sqlite:///{_database['template']}")
    cfg["METRICS_ALLOW"] = "10.0.0.0/8"
    other = create_app(cfg)
    c = other.test_client()
    assert c.get("/metrics").status_code == 403  # loopback no longer listed
    assert c.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_request_counter_and_latency_move_by_route(client):
    before = client.get("/metrics").text
    n = _value(before, "civic_http_requests_total", method="GET", route="/healthz", status="200")
    h = _value(before, "civic_http_request_duration_seconds_count", method="GET", route="/healthz")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    after = client.get("/metrics").text
    assert _value(after, "civic_http_requests_total", method="GET", route="/healthz", status="200") == n + 3
    assert _value(after, "civic_http_request_duration_seconds_count", method="GET", route="/healthz") == h + 3


def test_route_is_the_url_rule_not_the_path(client):
    client.get("/no/such/page/123")
    body = client.get("/metrics").text
    assert 'route="<unmatched>"' in body
    assert "/no/such/page/123" not in body


def test_outbox_figures(app, client):
    body = client.get("/metrics").text
    assert _value(body, "civic_outbox_pending") == 0
    assert _value(body, "civic_outbox_oldest_pending_age_seconds") == 0
    # A mail recorded but not delivered (no commit hook runs: rows inserted directly).
    from datetime import timedelta

    from civic.core.models import OutboxMessage
    from civic.core.time import utcnow

    db.session.add(OutboxMessage(to_email="a@example.org", subject="s", body_text="b",
                                 created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    body = client.get("/metrics").text
    assert _value(body, "civic_outbox_pending") == 1
    assert _value(body, "civic_outbox_oldest_pending_age_seconds") >= 299
    assert "civic_tally_lag_seconds" in body and "civic_signatures_per_minute" in body
    assert "civic_db_pool_checked_out" in body
