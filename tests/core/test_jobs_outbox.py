"""Jobs after commit, locks, the periodic scheduler, and the outbox's promises."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core import jobs, mail, outbox
from civic.core.models import OutboxMessage, PeriodicRun
from civic.core.time import utcnow
from civic.extensions import db

CALLS = []


def record_call(value):
    CALLS.append(value)


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()


def test_enqueued_job_runs_only_after_commit(app, run_jobs):
    jobs.enqueue(record_call, 1)
    assert CALLS == []
    db.session.commit()
    run_jobs()
    assert CALLS == [1]


def test_rolled_back_transaction_drops_its_jobs(app, run_jobs):
    jobs.enqueue(record_call, 2)
    db.session.rollback()
    db.session.commit()
    run_jobs()
    assert CALLS == []


def test_releasing_a_savepoint_does_not_start_jobs_before_the_commit(app, run_jobs):
    with db.session.begin_nested():
        jobs.enqueue(record_call, 3)
    run_jobs()
    assert CALLS == []
    db.session.commit()
    run_jobs()
    assert CALLS == [3]


def test_job_lock_is_exclusive_and_released(app):
    with jobs.job_lock("tally") as first:
        assert first
        with jobs.job_lock("tally") as second:
            assert not second
    with jobs.job_lock("tally") as again:
        assert again


def test_expired_lock_of_a_killed_worker_can_be_taken(app):
    from civic.core.models import JobLock

    db.session.add(JobLock(name="stuck", owner="dead-worker", locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with jobs.job_lock("stuck") as got:
        assert got


def test_scheduler_dispatches_a_due_job_once_even_with_two_schedulers(app, run_jobs):
    jobs.register_periodic("test.record", lambda_record, 3600)
    try:
        now = utcnow()
        assert "test.record" in jobs.schedule_due(app, now)
        assert "test.record" not in jobs.schedule_due(app, now)  # a second scheduler, same instant
        run_jobs()
        assert CALLS == ["tick"]
        row = db.session.get(PeriodicRun, "test.record")
        assert row.next_run_at > now
        assert "test.record" in jobs.schedule_due(app, now + timedelta(hours=1, seconds=1))
    finally:
        jobs._PERIODIC.pop("test.record", None)


def lambda_record():
    CALLS.append("tick")


def test_periodic_job_skips_when_already_running(app):
    jobs.register_periodic("test.record", lambda_record, 3600)
    try:
        with jobs.job_lock("periodic:test.record") as held:
            assert held
            jobs.run_periodic("test.record")
        assert CALLS == []
        jobs.run_periodic("test.record")
        assert CALLS == ["tick"]
    finally:
        jobs._PERIODIC.pop("test.record", None)


def write_then_fail():
    CALLS.append("tick")
    db.session.execute(sa.update(PeriodicRun).values(last_run_at=utcnow()))  # the job wrote something
    raise RuntimeError("the job crashed")


def test_a_periodic_job_that_crashed_runs_again_next_time(app):
    """A crash must release the job's lock at once: otherwise the next runs
    are "already running; skipped" until the lease expires."""
    jobs.register_periodic("test.crash", write_then_fail, 30)
    try:
        for _ in range(2):
            with pytest.raises(RuntimeError):
                jobs.run_periodic("test.crash")
        assert CALLS == ["tick", "tick"]
    finally:
        jobs._PERIODIC.pop("test.crash", None)


def _queue(to="a@example.org", **kw):
    msg = outbox.queue_mail(to, "Subject", "accounts/confirm", {"user": type("U", (), {"display_name": "A"})(),
                                                               "url": "http://x"}, **kw)
    return msg


def test_mail_is_delivered_once_after_commit(app, mails):
    _queue()
    assert mails() == []  # nothing before commit
    db.session.commit()
    assert len(mails()) == 1
    row = db.session.scalar(sa.select(OutboxMessage))
    outbox.deliver_messages([row.id])  # a duplicate job
    assert len(mails()) == 1


def test_dedupe_key_makes_a_retried_producer_harmless(app, mails):
    assert _queue(dedupe_key="response:1:signer:1") is not None
    assert _queue(dedupe_key="response:1:signer:1") is None
    db.session.commit()
    assert len(mails()) == 1


def test_sweeper_delivers_what_no_job_delivered(app, mails, monkeypatch):
    # Simulate a lost queue: the after-commit dispatch does nothing.
    monkeypatch.setattr(jobs, "dispatch", lambda app, js: None)
    _queue()
    db.session.commit()
    assert mails() == []
    db.session.execute(sa.update(OutboxMessage).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert outbox.sweep_outbox() == 1
    db.session.commit()
    assert len(mails()) == 1
    assert outbox.sweep_outbox() == 0


def test_failed_smtp_keeps_the_message_for_a_retry(app, mails, run_jobs):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    _queue()
    db.session.commit()
    run_jobs()
    row = db.session.scalar(sa.select(OutboxMessage))
    db.session.refresh(row)
    assert row.delivered_at is None and row.last_error and row.failed_at is None
    app.config["MAIL_URL"] = None
    row.claimed_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    outbox.deliver_messages([row.id])
    assert len(mails()) == 1


def test_queue_mails_batch_skips_unsubscribed_and_repeated_keys(app, mails):
    outbox.opt_out("gone@example.org", "petition:1")
    db.session.commit()
    ctx = {"user": type("U", (), {"display_name": "A"})(), "url": "http://x"}
    ids = outbox.queue_mails([
        outbox.Mail("a@example.org", "Subject", "accounts/confirm", ctx, dedupe_key="k1"),
        outbox.Mail("b@example.org", "Subject", "accounts/confirm", ctx, dedupe_key="k1"),  # same key: once
        outbox.Mail("gone@example.org", "Subject", "accounts/confirm", ctx, topic="petition:1"),
        outbox.Mail("c@example.org", "Subject", "accounts/confirm", ctx, topic="petition:1", locale="fr"),
    ])
    assert len(ids) == 2
    db.session.commit()
    assert sorted(m.to for m in mails()) == ["a@example.org", "c@example.org"]
    assert outbox.queue_mails([outbox.Mail("a@example.org", "Subject", "accounts/confirm", ctx,
                                           dedupe_key="k1")]) == []  # a retried producer


def test_mail_headers_and_long_lines_survive_any_relay(app):
    from email import message_from_bytes, policy

    from civic.core import mail

    app.config["MAIL_FROM"] = "Mairie de Cité <no-reply@mairie.example>"
    long_line = "é" * 700  # 1,400 bytes: over SMTP's 998-byte line limit
    raw = bytes(mail.build("a@example.org", "Confirmez votre signature — été", f"Bonjour\n{long_line}\n",
                           headers={"List-Unsubscribe": "<http://civic.test/unsubscribe/" + "x" * 120 + ">"}))
    assert all(len(line) <= 998 for line in raw.replace(b"\r\n", b"\n").split(b"\n"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"] == "Mairie de Cité <no-reply@mairie.example>"
    assert parsed["Subject"] == "Confirmez votre signature — été"
    assert parsed.get_body().get_content() == f"Bonjour\n{long_line}\n"
    assert parsed["List-Unsubscribe"] == "<http://civic.test/unsubscribe/" + "x" * 120 + ">"


def test_bulk_mail_has_one_click_unsubscribe_that_works(app, client, mails):
    _queue(topic="petition:1:updates")
    db.session.commit()
    [mail] = mails()
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail.headers["List-Unsubscribe"].strip("<>").replace("http://civic.test", "")
    assert "Unsubscribe" in mail.body or "unsubscribe" in mail.body.lower() or url
    assert client.post(url).status_code == 200  # RFC 8058 one-click POST, no CSRF token
    assert outbox.is_opted_out("a@example.org", "petition:1:updates")
    assert _queue(topic="petition:1:updates") is None
    assert _queue() is not None  # non-bulk mail (confirmations) still goes


def test_audit_entries_cannot_be_changed_or_deleted(app):
    from civic.core import audit

    entry = audit.record(None, "test.action", "thing", 1, reason="because")
    db.session.commit()
    entry.reason = "rewritten"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(type(entry), entry.id))
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_mail_can_be_queued_outside_a_request(app, mails):
    # Jobs and CLI commands queue mails with no request context at all.
    from flask import has_request_context

    assert not has_request_context()
    _queue(to="job@example.org")
    db.session.commit()
    assert [m.to for m in mails()] == ["job@example.org"]


def test_delivery_marks_sent_mails_in_small_groups(app, mails, monkeypatch):
    """A worker killed while sending mail 26 would re-send at most the mails
    after the last group mark (21-25), never the first 20."""
    ctx = {"user": type("U", (), {"display_name": "A"})(), "url": "http://x"}
    ids = outbox.queue_mails([outbox.Mail(f"p{i}@example.org", "Subject", "accounts/confirm", ctx)
                              for i in range(30)], enqueue=False)
    db.session.commit()
    seen_marked = []
    real_send = mail.Transport.send

    def send(self, msg, name):
        with db.engine.connect() as conn:  # what a sweeper would see right now
            seen_marked.append(conn.execute(sa.select(sa.func.count()).select_from(OutboxMessage)
                                            .where(OutboxMessage.delivered_at.is_not(None))).scalar())
        real_send(self, msg, name)

    monkeypatch.setattr(mail.Transport, "send", send)
    monkeypatch.setattr(outbox, "MARK_WITHIN", 3600)  # count-based groups only, whatever the machine's speed
    outbox.deliver_messages(ids)
    assert seen_marked[:21] == [0] * 20 + [20]  # marked once 20 were sent, not before nor one by one
    assert seen_marked[25] == 20
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.delivered_at.is_(None))) == 0  # the last group at the end
    assert len(mails()) == 30


def test_a_dead_workers_claim_expires_within_30_seconds_and_is_taken_over(app, mails, monkeypatch):
    monkeypatch.setattr(jobs, "dispatch", lambda app, js: None)
    _queue()
    db.session.commit()
    [row] = db.session.scalars(sa.select(OutboxMessage)).all()
    claimed = outbox._claim([row.id])  # a worker claims it, then is killed before sending
    assert claimed and mails() == []
    db.session.expire_all()
    assert row.claimed_until <= utcnow() + timedelta(seconds=20)
    # Expired claims are swept soon enough to take a dead worker's mails over
    # within 30 s, and no single send outlasts a live worker's claim.
    assert outbox.CLAIM.total_seconds() + outbox.SWEEP_EVERY <= 30
    assert outbox.CLAIM.total_seconds() > mail.SMTP_TIMEOUT + outbox.HEARTBEAT
    # 31 seconds later (and the row older than the sweeper's grace), the sweeper delivers it.
    db.session.execute(sa.update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1),
                                                      created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert outbox.sweep_outbox() == 1
    assert len(mails()) == 1


def test_a_working_delivery_renews_the_claim_of_what_it_has_not_sent(app, mails, monkeypatch):
    ctx = {"user": type("U", (), {"display_name": "A"})(), "url": "http://x"}
    ids = outbox.queue_mails([outbox.Mail(f"p{i}@example.org", "Subject", "accounts/confirm", ctx)
                              for i in range(3)], enqueue=False)
    db.session.commit()
    claims = []
    real_send = mail.Transport.send

    def send(self, msg, name):
        with db.engine.connect() as conn:
            claims.append(conn.execute(sa.select(OutboxMessage.claimed_until).where(
                OutboxMessage.id == ids[-1])).scalar())
        real_send(self, msg, name)

    monkeypatch.setattr(mail.Transport, "send", send)
    monkeypatch.setattr(outbox, "HEARTBEAT", 0)  # a beat before every mail
    outbox.deliver_messages(ids)
    assert claims[0] < claims[1] < claims[2]  # the last row's claim moved forward while the others were sent
    assert len(mails()) == 3


def test_a_worker_comes_back_by_itself_after_redis_returns(app, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    attempts, waits = [], []

    class Worker:
        def work(self, **_kw):
            attempts.append(1)
            if len(attempts) < 4:
                raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(jobs, "make_worker", lambda app, simple=False: Worker())
    jobs.run_worker(app, sleep=waits.append)
    assert len(attempts) == 4 and waits == [1.0, 2.0, 4.0]


def test_the_scheduler_survives_a_failing_tick_and_backs_off(app, monkeypatch):
    ticks, waits = [], []

    def schedule_due(app, now=None):
        ticks.append(1)
        if len(ticks) <= 2:
            raise RuntimeError("database restarting")
        if len(ticks) == 4:
            raise KeyboardInterrupt  # stop the loop

    monkeypatch.setattr(jobs, "schedule_due", schedule_due)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_scheduler(app, tick=1.0, sleep=waits.append)
    assert waits == [1.0, 2.0, 1.0]


def test_with_redis_down_the_scheduler_runs_the_due_jobs_itself(app, monkeypatch):
    """Found by bench/bench_faults.py (redis_stop): the sweepers are periodic
    jobs, and with Redis down the scheduler claimed each due run, failed to
    queue it and dropped it, so nothing was mailed or tallied until Redis and
    the workers were back. The scheduler has the database and the SMTP
    server: it runs what it cannot queue."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    class DownQueue:
        def enqueue(self, *_args, **_kwargs):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs, "get_queue", lambda app=None: DownQueue())
    jobs.register_periodic("test.record", lambda_record, 3600)
    try:
        assert "test.record" in jobs.schedule_due(app, utcnow())
        assert CALLS == ["tick"]
    finally:
        jobs._PERIODIC.pop("test.record", None)
