"""Prometheus metrics at ``/metrics`` (docs/deploy.md, "Metrics").

Per-request figures (requests and latency by route) are counters and
histograms kept by each process; under gunicorn set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (cleared at each start) so
every worker writes its figures there and one scrape adds them up. Figures that
belong to the site, not to a process (queue depth, outbox, tally lag,
signatures per minute, mail failures), are read from the database and Redis at
scrape time by :class:`SiteCollector`: a scrape every 15 s costs a handful of
indexed queries, and no process has to keep them up to date.

Who may scrape: addresses in ``METRICS_ALLOW`` (comma-separated CIDRs;
loopback by default, so a node's own agent can), or anyone presenting
``Authorization: Bearer <METRICS_TOKEN>`` when that variable is set.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from civic.core.time import utcnow
from civic.extensions import db

# One registry for this process's own metrics, created once at import: create_app()
# may run many times in a process (tests), and a metric can be registered once.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("civic_http_requests_total", "HTTP requests answered, by route (URL rule), method and status.",
                   ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("civic_http_request_duration_seconds", "Time to answer a request, by route (URL rule).",
                    ["route", "method"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
POOL_IN_USE = Gauge("civic_db_pool_checked_out", "Database connections in use by this process's pool.",
                    registry=REGISTRY, multiprocess_mode="livesum")
POOL_SIZE = Gauge("civic_db_pool_size", "Connections this process's pool keeps open.",
                  registry=REGISTRY, multiprocess_mode="livesum")
MAIL_FAILURES = Counter("civic_mail_delivery_failures_total", "Mail deliveries that failed (each attempt).",
                        registry=REGISTRY)

bp = Blueprint("metrics", __name__)

DEFAULT_ALLOW = "127.0.0.0/8,::1/128"


def _allowed_networks(app):
    raw = app.config.get("METRICS_ALLOW") or os.environ.get("METRICS_ALLOW") or DEFAULT_ALLOW
    nets = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return nets


def may_scrape() -> bool:
    """True when the caller's address is allow-listed or it presents the token."""
    token = current_app.config.get("METRICS_TOKEN") or os.environ.get("METRICS_TOKEN")
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
        return True
    try:
        addr = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return any(addr in net for net in current_app.extensions["civic_metrics_allow"])


_GAUGES: list = []


def register_gauges(fn) -> None:
    """A module adds figures read at each scrape: ``fn(now)`` returns
    ``[(metric_name, help, value), ...]`` (petitions: tally lag, signatures
    per minute). Core reads no domain's tables itself."""
    if fn not in _GAUGES:
        _GAUGES.append(fn)


class SiteCollector:
    """Figures read from the database and Redis when scraped."""

    def __init__(self, app):
        self.app = app

    def describe(self):
        return []

    def collect(self):
        with self.app.app_context():
            try:
                yield from self._collect()
            finally:
                db.session.remove()

    def _collect(self):
        from civic.core.models import OutboxMessage

        now = utcnow()
        pending = sa.and_(OutboxMessage.delivered_at.is_(None), OutboxMessage.failed_at.is_(None))
        count, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(OutboxMessage.created_at)).where(pending)).one()
        yield GaugeMetricFamily("civic_outbox_pending", "Mails recorded and not yet delivered.", value=count)
        yield GaugeMetricFamily("civic_outbox_oldest_pending_age_seconds",
                                "Age of the oldest undelivered mail (0 when none).",
                                value=(now - oldest).total_seconds() if oldest else 0)
        failed = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.failed_at.is_not(None)))
        yield GaugeMetricFamily("civic_outbox_failed", "Mails given up after every attempt.", value=failed)

        for fn in _GAUGES:
            for name, doc, value in fn(now):
                yield GaugeMetricFamily(name, doc, value=value)

        depth = GaugeMetricFamily("civic_job_queue_depth", "Jobs waiting in the RQ queue (-1: Redis unreachable).",
                                  labels=["queue"])
        from civic.core.jobs import get_queue

        queue = get_queue(self.app)
        if queue is not None:
            try:
                depth.add_metric([queue.name], queue.count)
            except Exception:
                depth.add_metric([queue.name], -1)
        yield depth


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _pool_gauges():
    pool = getattr(db.engine, "pool", None)
    if pool is not None and hasattr(pool, "checkedout"):
        POOL_IN_USE.set(pool.checkedout())
        POOL_SIZE.set(pool.size() if hasattr(pool, "size") else 0)


@bp.get("/metrics")
def metrics():
    if not may_scrape():
        abort(403)
    _pool_gauges()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(SiteCollector(current_app._get_current_object()))
    resp = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    resp.headers["Cache-Control"] = "no-store"
    return resp


class _ProcessMetrics:
    """This process's own metrics, collected into the scrape's registry."""

    def describe(self):
        return []

    def collect(self):
        yield from REGISTRY.collect()


def init_app(app) -> None:
    app.extensions["civic_metrics_allow"] = _allowed_networks(app)
    app.register_blueprint(bp)

    @app.before_request
    def _start_timer():
        g.civic_started = time.perf_counter()

    @app.after_request
    def _count(resp):
        started = g.pop("civic_started", None)
        if started is not None and request.endpoint != "metrics.metrics":
            route = _route()
            REQUESTS.labels(route, request.method, str(resp.status_code)).inc()
            LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        return resp
