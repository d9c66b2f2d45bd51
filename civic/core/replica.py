"""Reads from a PostgreSQL streaming replica (docs/deploy.md, "Read replica").

With ``DATABASE_REPLICA_URL`` set, each request is given a route when it
starts:

- ``replica`` for an anonymous visitor's GET or HEAD (public pages and API
  reads), unless the view is marked :func:`use_primary`, or the visitor wrote
  something a moment ago (a "recent write" mark in the session, kept
  ``REPLICA_MAX_LAG`` + 3 seconds), or the replica is lagging by more than
  ``REPLICA_MAX_LAG`` seconds (default 5) or cannot be reached;
- ``primary`` for everything else: writes, signed-in people (staff pages
  included), token links (a signer's confirmation page), jobs, CLI.

:class:`RoutingSession` (``db.session``'s class) sends the ORM's reads of a
``replica`` request to the replica engine; a flush, a DML statement or a
``FOR UPDATE`` goes to the primary, and the rest of that request stays there,
so it never reads older data than it wrote. The replica's lag is measured at
most once a second per process (``pg_last_wal_receive_lsn()`` against
``pg_last_wal_replay_lsn()``, and ``pg_last_xact_replay_timestamp()`` when
replay is behind); if a replica connection fails mid-request, the replica is
marked down for that second and the (read-only) view is run again on the
primary, so visitors never see an error page because of it.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, session
from flask_sqlalchemy.session import Session as FlaskSession
from prometheus_client import Counter, Gauge

DEFAULT_MAX_LAG = 5.0
CHECK_EVERY = 1.0  # seconds between two lag measurements in one process
MARK_KEY = "_wrote_until"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# Registered on core.metrics' registry by init_app (once per process).
ROUTED = None
LAG = None
_metrics_lock = threading.Lock()


def _metrics():
    global ROUTED, LAG
    with _metrics_lock:
        if ROUTED is None:
            from civic.core.metrics import REGISTRY

            ROUTED = Counter("civic_db_requests_total", "Requests by the database engine that served their reads "
                             "(primary or replica).", ["engine"], registry=REGISTRY)
            LAG = Gauge("civic_db_replica_lag_seconds", "Replica lag at this process's last check "
                        "(-1: unreachable).", registry=REGISTRY, multiprocess_mode="max")
    return ROUTED, LAG


def use_primary(view):
    """Mark a view whose reads must see the latest writes even for anonymous
    visitors (token links: a signer's confirmation, a password reset...)."""
    view.civic_primary = True
    return view


class Replica:
    """One replica engine and its health, shared by the requests of an app."""

    clock = staticmethod(time.monotonic)  # a test may move it by hand

    def __init__(self, url: str, max_lag: float):
        self.url = url
        self.max_lag = max_lag
        self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5,
                                       connect_args={"connect_timeout": 2})
        self._lock = threading.Lock()
        self._checked = -1e9
        self._ok = False
        self.lag: float | None = None

    def usable(self) -> bool:
        """Whether reads may go to the replica now (measured at most once a second)."""
        now = self.clock()
        if now - self._checked < CHECK_EVERY:
            return self._ok
        if not self._lock.acquire(blocking=False):
            return self._ok  # another thread is measuring: keep the last answer
        try:
            self.lag = self.measure_lag()
            self._ok = self.lag is not None and self.lag <= self.max_lag
            _metrics()[1].set(-1 if self.lag is None else self.lag)
            self._checked = self.clock()
        finally:
            self._lock.release()
        return self._ok

    def mark_down(self) -> None:
        """A replica connection just failed: use the primary until the next check."""
        self._ok = False
        self._checked = self.clock()

    def measure_lag(self) -> float | None:
        """Seconds the replica is behind (0 when it has replayed all it received);
        None when it cannot be reached or says nothing useful."""
        try:
            with self.engine.connect() as conn:
                if self.engine.dialect.name != "postgresql":
                    conn.execute(sa.text("SELECT 1"))
                    return 0.0
                row = conn.execute(sa.text(
                    "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")).one()
        except Exception as err:  # noqa: BLE001  (any failure means: do not read there)
            current_app.logger.warning("read replica unavailable: %s", err)
            return None
        in_recovery, caught_up, since_last = row
        if not in_recovery or caught_up:
            return 0.0
        if since_last is None:  # replay behind and nothing replayed yet: lag unknown
            return None
        return max(0.0, float(since_last))


class RoutingSession(FlaskSession):
    """``db.session``'s class: a ``replica`` request's reads go to the replica,
    anything that writes or locks goes to the primary, and the request stays
    there afterwards."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kw):
        if bind is None and has_request_context() and g.get("civic_db_route") == "replica":
            if self._flushing or _writes(clause):
                self.info["civic_primary"] = True
            elif not self.info.get("civic_primary"):
                replica = current_app.extensions.get("civic_replica")
                if replica is not None:
                    return replica.engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


def _writes(clause) -> bool:
    if clause is None:
        return False
    if isinstance(clause, sa.sql.dml.UpdateBase):
        return True
    if getattr(clause, "_for_update_arg", None) is not None:
        return True
    # Text statements and DDL: treat anything that is not a plain SELECT as a write.
    if isinstance(clause, sa.TextClause):
        return not clause.text.lstrip().upper().startswith(("SELECT", "WITH"))
    return isinstance(clause, sa.schema.ExecutableDDLElement)


def _choose_route(replica: Replica) -> str:
    if request.method not in SAFE_METHODS:
        return "primary"
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "civic_primary", False):
        return "primary"
    if session.get("_user_id") or request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                              "remember_token")):
        return "primary"
    until = session.get(MARK_KEY)
    if until is not None:
        if until > time.time():
            return "primary"
        session.pop(MARK_KEY, None)  # expired: the cookie goes when nothing else is in it
    return "replica" if replica.usable() else "primary"


def retry_on_primary(err):
    """Called by the database-error handler: when the failure came from a
    replica read, mark the replica down and run the view again on the
    primary. Returns the response, or None when there is nothing to retry."""
    replica = current_app.extensions.get("civic_replica")
    if replica is None or not has_request_context() or g.get("civic_db_route") != "replica":
        return None
    from civic.extensions import db

    replica.mark_down()
    current_app.logger.warning("read replica failed mid-request, reading from the primary: %s", err)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the replica connection is gone; the pool replaces it)
        pass
    db.session.info["civic_primary"] = True
    g.civic_db_route = "primary"
    return current_app.make_response(
        current_app.ensure_sync(current_app.view_functions[request.endpoint])(**(request.view_args or {})))


def init_app(app) -> None:
    """Route reads when ``DATABASE_REPLICA_URL`` is set; otherwise only keep
    the recent-write mark out of the way (nothing to do)."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    routed, _lag = _metrics()
    replica = Replica(url, float(app.config.get("REPLICA_MAX_LAG") or DEFAULT_MAX_LAG))
    app.extensions["civic_replica"] = replica

    @app.before_request
    def _route_request():
        g.civic_db_route = _choose_route(replica)

    @app.after_request
    def _mark_writes(resp):
        if request.method not in SAFE_METHODS and resp.status_code < 400:
            # This person's next pages read the primary until the replica has
            # surely replayed what they just wrote.
            session[MARK_KEY] = int(time.time() + replica.max_lag + 3)
        route = g.get("civic_db_route")
        if route is not None:
            routed.labels("replica" if route == "replica" and not _stayed_on_primary() else "primary").inc()
        return resp


def _stayed_on_primary() -> bool:
    from civic.extensions import db

    return bool(db.session.info.get("civic_primary"))

