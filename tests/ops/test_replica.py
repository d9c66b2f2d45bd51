"""Reads from a real streaming replica (civic/core/replica.py).

A throwaway primary and hot standby are built on loopback for this module
(tests/ops/pgcluster.py). Replay is paused on the replica to make it lag on
purpose: an anonymous visitor then sees the old page, while a person who just
wrote (signed in, or anonymous right after a POST) and token links read the
primary; past REPLICA_MAX_LAG everyone reads the primary; a stopped replica
is never an error page.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from civic import create_app
from civic.core import replica as replica_mod
from civic.extensions import db
from tests.conftest import IsolatedClient, _config
from tests.helpers import login
from tests.ops import pgcluster

pytestmark = pytest.mark.skipif(pgcluster.available() is not None,
                                reason=f"no PostgreSQL 15 binaries to build a replica: {pgcluster.available()}")

MAX_LAG = 3


@pytest.fixture(scope="module")
def cluster():
    with pgcluster.pair() as pair:
        yield pair


@pytest.fixture
def site(cluster, tmp_path):
    """An app whose primary and replica are the throwaway pair, on a fresh database."""
    name = f"civic_rep_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(cluster.primary.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    cfg = _config(tmp_path, cluster.primary.url(name))
    cfg.update(DATABASE_REPLICA_URL=cluster.replica.url(name), REPLICA_MAX_LAG=MAX_LAG, SHARED_CACHE=False,
               REDIS_URL=None)
    app = create_app(cfg)
    app.test_client_class = IsolatedClient
    standby = sa.create_engine(cluster.replica.url(name), isolation_level="AUTOCOMMIT")
    with app.app_context():
        db.create_all()
        try:
            yield app, standby
        finally:
            db.session.remove()
            db.engine.dispose()
            app.extensions["civic_replica"].engine.dispose()
            standby.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _replicated(standby, sql: str, **params):
    """Wait until the replica has replayed what makes ``sql`` return a row."""
    def seen():
        try:
            with standby.connect() as conn:
                return conn.execute(sa.text(sql), params).first() is not None
        except sa.exc.ProgrammingError:  # the table itself is not replayed yet
            return False
    pgcluster.wait_for(seen)


def _fresh_commit_replayed(standby, petition_id: int) -> None:
    """Commit a change on the primary and wait until the replica replayed it."""
    db.session.execute(sa.text("UPDATE petition SET updated_at = updated_at WHERE id = :id"), {"id": petition_id})
    db.session.commit()
    lsn = db.session.execute(sa.text("SELECT pg_current_wal_lsn()::text")).scalar()
    db.session.commit()
    _replicated(standby, "SELECT 1 WHERE pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)", lsn=lsn)


def _served(engine: str) -> float:
    return replica_mod.ROUTED.labels(engine)._value.get()


def _open_petition(standby, title: str):
    from tests.petitions import factories as pf

    petition = pf.petition(title=title)
    _replicated(standby, "SELECT 1 FROM petition WHERE id = :id", id=petition.id)
    return petition


def test_a_lagging_replica_serves_old_pages_to_visitors_but_writers_read_their_writes(site, tmp_path):
    app, standby = site
    from tests import factories

    writer = factories.user(email="lea@example.org", name="Léa Martin")
    petition = _open_petition(standby, "Une piste cyclable rue de Metz")
    page = f"/petitions/{petition.id}"
    comment = "Oui, et des arceaux pour les vélos devant la médiathèque."

    visitor = app.test_client()
    before = _served("replica")
    resp = visitor.get(page)
    assert resp.status_code == 200 and "Une piste cyclable rue de Metz" in resp.text
    assert _served("replica") == before + 1  # an anonymous page read the replica

    person = app.test_client()
    login(person, writer)
    _fresh_commit_replayed(standby, petition.id)  # the lag is measured from the last commit replayed
    with standby.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_pause()"))
        pgcluster.wait_for(lambda: conn.execute(sa.text("SELECT pg_get_wal_replay_pause_state()")).scalar() == "paused")
        frozen = conn.execute(sa.text("SELECT pg_last_wal_replay_lsn()")).scalar()
    try:
        # A signed-in person writes a comment...
        resp = person.post(f"/comments/petition/{petition.id}", data={"comment-body": comment})
        assert resp.status_code == 302

        # An anonymous visitor still gets the replica's older page...
        resp = app.test_client().get(page)
        assert resp.status_code == 200 and "Une piste cyclable rue de Metz" in resp.text
        assert comment not in resp.text
        # ...while the person who wrote it sees it at once (the primary).
        assert comment in person.get(page).text

        # An anonymous visitor who just wrote something (a signature) reads
        # the primary too, for a few seconds after their POST.
        signer = app.test_client()
        resp = signer.post(f"{page}/sign", data={"name": "Hugo Bernard", "email": "hugo@example.org",
                                                 "postcode": "31000", "attest": "y"})
        assert resp.status_code == 200 and "Check your email" in resp.text
        assert comment in signer.get(page).text

        # The confirmation link, opened on another device, finds the signature
        # the replica has not replayed yet.
        [mail] = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                  for p in sorted(Path(app.config["MAIL_DIR"]).glob("*.eml"))
                  if "hugo@example.org" in p.read_text()]
        link = re.search(r"http://civic\.test(/\S+/confirm)", mail.get_body(("plain",)).get_content()).group(1)
        resp = app.test_client().get(link)
        assert resp.status_code == 200 and '<button type="submit">Confirm my signature</button>' in resp.text

        # Once the replica is more than REPLICA_MAX_LAG behind, visitors read the primary.
        started = time.monotonic()
        pgcluster.wait_for(lambda: comment in app.test_client().get(page).text, timeout=MAX_LAG + 5, every=0.2)
        assert time.monotonic() - started <= MAX_LAG + 2
        with standby.connect() as conn:  # still paused: that page came from the primary
            assert conn.execute(sa.text("SELECT pg_last_wal_replay_lsn()")).scalar() == frozen
        assert replica_mod.LAG._value.get() > MAX_LAG
    finally:
        with standby.connect() as conn:
            conn.execute(sa.text("SELECT pg_wal_replay_resume()"))

    # Caught up again: anonymous pages go back to the replica.
    _replicated(standby, "SELECT 1 FROM comment WHERE body_html LIKE '%médiathèque%'")
    time.sleep(replica_mod.CHECK_EVERY + 0.1)
    before = _served("replica")
    assert comment in app.test_client().get(page).text
    assert _served("replica") == before + 1


def test_the_lag_is_measured_at_most_once_a_second_per_process(site, monkeypatch):
    app, standby = site
    petition = _open_petition(standby, "Un marché de producteurs à Empalot")
    clock = {"now": time.monotonic() + 10}  # the replica's clock, moved by hand
    replica = app.extensions["civic_replica"]
    monkeypatch.setattr(replica, "clock", lambda: clock["now"])
    checks = []
    engine = replica.engine
    listener = lambda *args: checks.append(1) if "pg_last_wal_replay_lsn" in args[2] else None  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        visitor = app.test_client()
        for step in (0, 0.3, 0.3, 0.3, 0.2, 0.5):  # 1.6 s in all: a second check after the first second
            clock["now"] += step
            assert visitor.get(f"/petitions/{petition.id}").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert len(checks) == 2


def test_a_stopped_replica_sends_reads_to_the_primary_without_an_error_page(site, cluster):
    app, standby = site
    petition = _open_petition(standby, "Des bancs place du Capitole")
    visitor = app.test_client()
    assert visitor.get(f"/petitions/{petition.id}").status_code == 200  # a pooled replica connection now
    cluster.stop(cluster.replica, "immediate")
    try:
        standby.dispose()
        # At once (the last check said the replica was fine: the failed read is run again on the
        # primary), then after the next check (the replica is known to be down).
        for wait in (0, replica_mod.CHECK_EVERY + 0.1):
            time.sleep(wait)
            before = _served("primary")
            resp = visitor.get(f"/petitions/{petition.id}")
            assert resp.status_code == 200 and "Des bancs place du Capitole" in resp.text
            assert _served("primary") == before + 1
            api = visitor.get(f"/api/v1/petitions/{petition.id}")
            assert api.status_code == 200 and api.get_json()["title"] == "Des bancs place du Capitole"
        assert replica_mod.LAG._value.get() == -1
    finally:
        cluster.start(cluster.replica)
