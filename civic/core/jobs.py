"""Background jobs: enqueued in the business transaction, run after commit.

``enqueue(fn, *args)`` records the job on the current SQLAlchemy session; when
that session commits, the job goes to RQ (``REDIS_URL`` set) or runs inline in
a fresh application context (development and tests without Redis). A rollback
drops it. Jobs take ids and are idempotent (DESIGN.md, house rule 3): they
reload their rows and check a persisted marker, so a retry or a concurrent run
has no double effect.

Periodic jobs are registered with :func:`register_periodic`; the scheduler
(``flask civic scheduler``) keeps their next due time in the database, so a
restart keeps the pace, and :func:`job_lock` keeps one from running twice at
once across processes and machines.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from civic.core import logs
from civic.core import time as core_time
from civic.core.aftercommit import after_commit
from civic.core.models import JobLock, PeriodicRun
from civic.core.time import utcnow
from civic.extensions import db

log = logging.getLogger("civic.jobs")

BATCH_SIZE = 200


def job_path(fn) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(path: str):
    module, _, name = path.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def enqueue(fn, *args, **kwargs) -> None:
    """Run ``fn(*args, **kwargs)`` after the current transaction commits."""
    after_commit(db.session(), "jobs", _dispatch_jobs, [(job_path(fn), args, kwargs)])


def enqueue_batched(fn, item) -> None:
    """Collect ``item`` for ``fn(items)``, called after commit in chunks of
    BATCH_SIZE (one job per chunk instead of one per item)."""
    after_commit(db.session(), "job-batches", _dispatch_batches, [(job_path(fn), item)])


def _dispatch_jobs(jobs: list) -> None:
    dispatch(current_app._get_current_object(), jobs)


def _dispatch_batches(items: list) -> None:
    by_path: dict[str, list] = {}
    for path, item in items:
        by_path.setdefault(path, []).append(item)
    dispatch(current_app._get_current_object(),
             [(path, (batch[i:i + BATCH_SIZE],), {}) for path, batch in by_path.items()
              for i in range(0, len(batch), BATCH_SIZE)])


def dispatch(app, jobs, *, run_if_unqueued: bool = False) -> None:
    """Queue ``jobs`` (or run them inline without Redis). ``run_if_unqueued``
    (the scheduler's) runs a job here when Redis refuses it: the sweepers and
    the tally are periodic jobs, and dropping them while Redis is down meant
    nothing was mailed or counted until Redis and the workers were back."""
    queue = get_queue(app)
    for path, args, kwargs in jobs:
        if queue is None:
            run_inline(app, path, args, kwargs)
            continue
        try:
            queue.enqueue("civic.core.jobs.run_job", path, args, kwargs,
                          job_timeout=600, result_ttl=0, failure_ttl=7 * 86400)
        except Exception as exc:
            if run_if_unqueued:
                log.warning("could not enqueue %s (%s); running it in this process", path, exc)
                run_inline(app, path, args, kwargs)
                continue
            # Redis lost: nothing is lost with it. Outbox rows are re-delivered by
            # the sweeper (which the scheduler then runs itself), tallies by the
            # next periodic run.
            log.exception("could not enqueue %s; the sweepers will catch up", path)


def _job_name(path: str, args) -> str:
    # Periodic jobs all run through run_periodic: name them by what they run.
    if path == "civic.core.jobs:run_periodic" and args:
        return f"periodic:{args[0]}"
    return path


def run_inline(app, path, args, kwargs) -> None:
    # A new application context gives the job its own session, as a worker would.
    with app.app_context(), logs.job_context(_job_name(path, args)) as run:
        try:
            resolve(path)(*args, **kwargs)
            db.session.commit()
        except Exception:
            run.failed()
            db.session.rollback()
            log.exception("inline job %s failed", path)
            if app.config.get("JOBS_RAISE"):
                raise


def run_job(path: str, args=(), kwargs=None):
    """RQ entry point: run one job in an application context and commit once."""
    from rq import get_current_job

    app = current_app._get_current_object() if has_app_context() else _worker_app()
    current = get_current_job()
    with app.app_context(), logs.job_context(_job_name(path, args), current.id if current is not None else None):
        try:
            resolve(path)(*args, **(kwargs or {}))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


_APP = None


def _worker_app():
    global _APP
    if _APP is None:
        from civic import create_app

        _APP = create_app()
    return _APP


def get_queue(app=None):
    app = app or current_app
    if not app.config.get("REDIS_URL"):
        return None
    from rq import Queue

    from civic.core.redis import redis_client

    with app.app_context():
        return Queue(app.config["RQ_QUEUE"], connection=redis_client())


def make_worker(app, *, simple: bool = False):
    """An RQ worker for the app's queue. The forking worker disposes the
    SQLAlchemy engine before each fork: a child must never reuse the parent's
    database sockets."""
    from rq import SimpleWorker, Worker

    queue = get_queue(app)
    if queue is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline, there is nothing to work on")

    class CivicWorker(Worker):
        def fork_work_horse(self, job, queue):
            db.engine.dispose()
            return super().fork_work_horse(job, queue)

    cls = SimpleWorker if simple else CivicWorker
    return cls([queue], connection=queue.connection)


# --- locks -------------------------------------------------------------------

@contextmanager
def job_lock(name: str, ttl: int = 300):
    """Lease a named lock in the database for ``ttl`` seconds.

    Yields True if this process holds it, False if another does. The lease
    expires by itself, so a killed worker blocks nobody for long. Taken on its
    own connection: call it before the job writes anything.
    """
    owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    table = JobLock.__table__
    now = core_time.utcnow()  # through the module: tests move the clock past a lease
    with db.engine.begin() as conn:
        if conn.execute(sa.select(table.c.name).where(table.c.name == name)).first() is None:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert().values(name=name))
            except sa.exc.IntegrityError:
                pass
        got = conn.execute(
            table.update()
            .where(table.c.name == name, sa.or_(table.c.locked_until.is_(None), table.c.locked_until < now))
            .values(owner=owner, locked_until=now + timedelta(seconds=ttl))
        ).rowcount == 1
    try:
        yield got
    finally:
        if got:
            with db.engine.begin() as conn:
                conn.execute(table.update().where(table.c.name == name, table.c.owner == owner)
                             .values(owner=None, locked_until=None))


# --- periodic jobs -----------------------------------------------------------

@dataclass
class Periodic:
    name: str
    path: str
    every: int  # seconds


_PERIODIC: dict[str, Periodic] = {}


def register_periodic(name: str, fn, every: int) -> None:
    """Run ``fn()`` every ``every`` seconds, at most one at a time."""
    _PERIODIC[name] = Periodic(name, job_path(fn), every)


def periodic_jobs() -> list[Periodic]:
    return list(_PERIODIC.values())


def run_periodic(name: str) -> None:
    """Job body of a periodic job: run it under its lock, or skip if it runs."""
    spec = _PERIODIC[name]
    with job_lock(f"periodic:{name}", ttl=max(120, spec.every * 10)) as got:
        if not got:
            log.info("periodic job %s already running; skipped", name)
            return
        try:
            resolve(spec.path)()
            db.session.commit()
        except BaseException:
            # End the job's transaction before the lock is released on its own
            # connection: on SQLite the release would otherwise wait for this
            # writer, fail, and leave the job "already running" until its lease ends.
            db.session.rollback()
            raise


def schedule_due(app, now=None) -> list[str]:
    """Claim and dispatch every periodic job whose time has come.

    The claim is a conditional UPDATE of ``next_run_at``: two schedulers (or a
    restarted one) never dispatch the same run twice.
    """
    now = now or utcnow()
    table = PeriodicRun.__table__
    due = []
    with db.engine.begin() as conn:
        rows = {r.name: r for r in conn.execute(sa.select(table))}
        for spec in _PERIODIC.values():
            row = rows.get(spec.name)
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(table.insert().values(name=spec.name, next_run_at=now))
                except sa.exc.IntegrityError:
                    continue
                current = now
            else:
                current = row.next_run_at
            if current > now:
                continue
            claimed = conn.execute(
                table.update().where(table.c.name == spec.name, table.c.next_run_at == current)
                .values(next_run_at=now + timedelta(seconds=spec.every), last_run_at=now)
            ).rowcount
            if claimed:
                due.append(spec.name)
    dispatch(app, [(job_path(run_periodic), (name,), {}) for name in due], run_if_unqueued=True)
    return due


def backoff(failures: int, cap: float = 30.0) -> float:
    """Seconds to wait after ``failures`` failures in a row: 1, 2, 4... up to ``cap``."""
    return min(cap, 2.0 ** max(0, failures - 1))


def run_scheduler(app, *, once: bool = False, tick: float = 1.0, sleep=time.sleep) -> None:
    """Dispatch due periodic jobs every ``tick`` seconds, for ever. A lost
    database or Redis fails a tick, not the scheduler: it waits longer after
    each failure (up to 30 s) and goes on once they are back."""
    log.info("scheduler started with %d periodic jobs", len(_PERIODIC))
    failures = 0
    while True:
        with app.app_context():
            try:
                schedule_due(app)
                failures = 0
            except Exception:
                failures += 1
                log.exception("scheduler tick failed (%d in a row)", failures)
            finally:
                db.session.remove()
        if once:
            return
        sleep(backoff(failures) if failures else tick)


def run_worker(app, *, burst: bool = False, simple: bool = False, sleep=time.sleep) -> None:
    """Run an RQ worker; when Redis goes away the worker is made again once
    it is back (waiting longer after each failure, up to 30 s), so a Redis
    restart does not need a person to restart the workers."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    failures = 0
    while True:
        try:
            make_worker(app, simple=simple).work(burst=burst, with_scheduler=False)
            return
        except (RedisConnectionError, RedisTimeoutError) as exc:
            failures += 1
            log.warning("worker lost Redis (%s); retrying in %.0f s", exc, backoff(failures))
            sleep(backoff(failures))
