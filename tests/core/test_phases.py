"""A dead worker's "already running" claim on a periodic job expires: the
job runs again once the lease is over, and releases it after running."""

from __future__ import annotations

from datetime import timedelta

from civic.core import jobs
from civic.core.models import JobLock
from civic.core.time import utcnow
from civic.extensions import db


def test_a_dead_workers_running_claim_expires_and_the_job_runs_again(app, clock):
    jobs._PERIODIC["test.claimed"] = jobs.Periodic("test.claimed", "tests.core.test_phases:_record", 60)
    _RAN.clear()
    try:
        clock.set(utcnow())
        # A worker took the lock and was killed: its lease is still running.
        db.session.add(JobLock(name="periodic:test.claimed", owner="dead-worker",
                               locked_until=clock.now + timedelta(seconds=600)))
        db.session.commit()
        jobs.run_periodic("test.claimed")
        assert _RAN == []
        clock.advance(seconds=601)
        jobs.run_periodic("test.claimed")
        assert _RAN == ["ran"]
        # The lease was released after the run: the next run is not skipped.
        jobs.run_periodic("test.claimed")
        assert _RAN == ["ran", "ran"]
    finally:
        jobs._PERIODIC.pop("test.claimed", None)


_RAN: list[str] = []


def _record():
    _RAN.append("ran")
