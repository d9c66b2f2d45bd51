"""Security headers and rate limits.

Rate-limit counters live in Redis when ``REDIS_URL`` is set, otherwise in the
database: never in process memory, so any number of web processes agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, g, has_app_context, request

from civic.core.errors import RateLimited
from civic.core.models import RateCounter
from civic.core.redis import redis_client
from civic.extensions import db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def hit(key: str, limit: int, window: int) -> tuple[bool, int]:
    """Count one event for ``key`` in a fixed window of ``window`` seconds.

    Returns ``(allowed, retry_after_seconds)``. Database counters are written
    in their own transaction so the count holds even if the request rolls back.
    """
    return hit_many([(key, limit, window)])[0]


def require_within(key: str, limit: int, window: int, message: str | Callable[[int], str] | None = None) -> None:
    """Count one event for ``key`` (:func:`hit`) and raise :class:`RateLimited`
    beyond ``limit`` in the window: the one way a service refuses "too many".

    ``message`` is the sentence shown next to the form (or in the JSON
    error), or a callable given the seconds to wait that returns it (so it
    can say when); the answer is 429 with ``Retry-After``. Call it after the
    input is validated (a mistyped form costs nothing) and before the
    transaction writes (the count then holds even if the request fails)."""
    allowed, retry = hit(key, limit, window)
    if not allowed:
        raise limited(message(retry) if callable(message) else message, retry)


def limited(message: str | None, retry_after: int) -> RateLimited:
    """The :class:`RateLimited` to raise, remembered for this request so that
    an HTML form shown again with 429 also carries ``Retry-After`` (the JSON
    error handler sets it from the exception itself)."""
    if has_app_context():
        g.civic_retry_after = retry_after
    return RateLimited(message, retry_after=retry_after)


def wait_hours(seconds: int) -> int:
    """Whole hours to wait (at least one), for messages that say when."""
    return max(1, -(-int(seconds) // 3600))


def wait_minutes(seconds: int) -> int:
    """Whole minutes to wait (at least one)."""
    return max(1, -(-int(seconds) // 60))


def hit_many(hits: list[tuple[str, int, int]]) -> list[tuple[bool, int]]:
    """:func:`hit` for several ``(key, limit, window)`` at once: one Redis
    round trip for all of them (the signing path counts per IP and per domain)."""
    now = int(time.time())
    windows = [(key, limit, now - now % window, now - now % window + window - now, window)
               for key, limit, window in hits]
    client = redis_client()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            for key, _limit, start, _retry, window in windows:
                rkey = f"civic:rl:{key}:{start}"
                pipe.incr(rkey)
                pipe.expire(rkey, window + 5)
            counts = pipe.execute()[::2]
            return [(count <= limit, retry) for count, (_k, limit, _s, retry, _w) in zip(counts, windows, strict=True)]
        except Exception:  # Redis lost: fall back to the database, never fail open silently
            current_app.logger.warning("rate limit: Redis unavailable, using the database")
    session = db.session()
    if db.engine.dialect.name == "sqlite" and _sqlite_wrote(session):
        # SQLite has one writer: this transaction already holds the write lock,
        # so a second connection would wait for it until timeout. Count on the
        # session's own connection instead (the count then shares the
        # transaction's fate; SQLite is for development, production counts in
        # Redis or PostgreSQL on their own connection).
        conn = session.connection()
        return [_count(conn, key, start, limit, retry, racing=False) for key, limit, start, retry, _w in windows]
    with db.engine.begin() as conn:
        return [_count(conn, key, start, limit, retry) for key, limit, start, retry, _w in windows]


def _sqlite_wrote(session) -> bool:
    """Whether this session's SQLite transaction already wrote (and so holds
    the write lock), through the ORM or Core statements alike: Python's
    sqlite3 only opens a transaction for a write. (A mark set on flush
    missed Core writes.)"""
    if not session.in_transaction():
        return False
    return bool(getattr(session.connection().connection.dbapi_connection, "in_transaction", False))


def _count(conn, key: str, start: int, limit: int, retry_after: int, *, racing: bool = True) -> tuple[bool, int]:
    table = RateCounter.__table__
    where = (table.c.key == key, table.c.window_start == start)
    if not conn.execute(table.update().where(*where).values(count=table.c.count + 1)).rowcount:
        if not racing:
            conn.execute(table.insert().values(key=key, window_start=start, count=1))
        else:
            try:
                # Two processes may create the window's row at once: the loser counts on it.
                with conn.begin_nested():
                    conn.execute(table.insert().values(key=key, window_start=start, count=1))
            except sa.exc.IntegrityError:
                conn.execute(table.update().where(*where).values(count=table.c.count + 1))
    count = conn.execute(sa.select(table.c.count).where(*where)).scalar()
    return count <= limit, retry_after


def peek(key: str, window: int) -> int:
    """Current count for ``key`` in the current window (no increment)."""
    now = int(time.time())
    start = now - now % window
    client = redis_client()
    if client is not None:
        try:
            return int(client.get(f"civic:rl:{key}:{start}") or 0)
        except Exception:
            pass
    row = db.session.get(RateCounter, (key, start))
    return row.count if row else 0


def reset(key: str, window: int) -> None:
    now = int(time.time())
    start = now - now % window
    client = redis_client()
    if client is not None:
        try:
            client.delete(f"civic:rl:{key}:{start}")
            return
        except Exception:
            pass
    delete = RateCounter.__table__.delete().where(RateCounter.key == key)
    session = db.session()
    if db.engine.dialect.name == "sqlite" and _sqlite_wrote(session):
        session.connection().execute(delete)  # SQLite's one writer is this transaction (see hit_many)
        return
    with db.engine.begin() as conn:
        conn.execute(delete)


def purge_old_counters() -> None:
    """Periodic job: drop database counters older than a day."""
    cutoff = int(time.time()) - 86400
    db.session.execute(sa.delete(RateCounter).where(RateCounter.window_start < cutoff))


def client_ip() -> str:
    # Behind a proxy, ProxyFix (configured in create_app) sets remote_addr.
    return request.remote_addr or "0.0.0.0"


def init_app(app):
    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=(), interest-cohort=()")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if resp.mimetype == "text/html":
            # Pages differ by language (cookie or Accept-Language): caches must not mix them.
            resp.vary.add("Cookie")
            resp.vary.add("Accept-Language")
        if resp.status_code == 429 and "Retry-After" not in resp.headers and g.get("civic_retry_after"):
            resp.headers["Retry-After"] = str(g.civic_retry_after)  # a form shown again by run_service
        if app.config.get("SESSION_COOKIE_SECURE"):
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages with forms or personal content are never cached by shared caches.
        if "Cache-Control" not in resp.headers and request.method == "GET" and not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store" if _is_private(resp) else "no-cache"
        return resp


def _is_private(resp) -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "is_authenticated", False)) or b'name="csrf_token"' in (
        resp.get_data() if not resp.direct_passthrough and resp.mimetype == "text/html" else b""
    )
