"""Losing Redis or a worker loses nothing; the forking worker works on a fresh engine."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core import audit, jobs, outbox
from civic.core.models import AuditEntry, OutboxMessage
from civic.core.time import utcnow
from civic.extensions import db
from tests.conftest import TEST_REDIS_URL


def write_marker(tag):
    audit.record(None, "test.marker", reason=tag)


def test_request_succeeds_and_mail_survives_when_redis_is_down(app, mails):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    outbox.queue_mail("a@example.org", "Hello", "accounts/confirm",
                      {"user": type("U", (), {"display_name": "A"})(), "url": "http://x"})
    db.session.commit()  # the enqueue fails inside; the commit does not
    row = db.session.scalar(sa.select(OutboxMessage))
    assert row.delivered_at is None
    app.config["REDIS_URL"] = None
    row.created_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    outbox.sweep_outbox()
    assert [m.to for m in mails()] == ["a@example.org"]


def test_rate_limits_fall_back_to_the_database_when_redis_is_down(app):
    from civic.core import security

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    assert security.hit("fallback", 1, 60)[0]
    assert not security.hit("fallback", 1, 60)[0]


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs TEST_REDIS_URL (a real Redis) for the forking RQ worker")
def test_forking_worker_runs_jobs_with_its_own_database_connections(app):
    jobs.enqueue(write_marker, "forked")
    db.session.commit()
    worker = jobs.make_worker(app)  # the forking CivicWorker, as `flask civic worker` runs it
    worker.work(burst=True, with_scheduler=False)
    db.session.expire_all()
    assert db.session.scalar(sa.select(AuditEntry.reason).where(AuditEntry.action == "test.marker")) == "forked"
    # The parent's connections still work after the forks.
    assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
