"""Test fixtures.

By default: SQLite and inline jobs. With TEST_DATABASE_URL and TEST_REDIS_URL
(CI sets both), the same suite runs on PostgreSQL and a real Redis, and
``run_jobs()`` drains the queue with a real RQ SimpleWorker in burst mode.
One fresh database per test: SQLite copies a template file, PostgreSQL
truncates every table after the test.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from civic import create_app
from civic.extensions import db
from civic.i18n import compile_catalogs

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
PASSWORD = "correct horse battery"


def pytest_sessionstart(session):
    compile_catalogs()
    # Test-only models (``tests/<domain>/fakes.py``) must exist before the schema is built.
    import importlib

    for path in sorted(Path(__file__).parent.glob("*/fakes.py")):
        importlib.import_module(f"tests.{path.parent.name}.fakes")


def pytest_sessionfinish(session, exitstatus):
    # In CI a skipped test means a missing service or file: fail the run.
    if os.environ.get("CIVIC_FAIL_ON_SKIP") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter else []
        if skipped:
            reporter.write_line(f"CIVIC_FAIL_ON_SKIP: {len(skipped)} test(s) skipped", red=True)
            session.exitstatus = 1


def _config(tmp: Path, database_url: str) -> dict:
    cfg = {
        "TESTING": True,
        "JOBS_RAISE": True,
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_URL": None,
        "MAIL_DIR": str(tmp / "mail"),
        "OPENDATA_DIR": str(tmp / "opendata"),
        "BASE_URL": "http://civic.test",
        "REDIS_URL": None,
        "SECRET_KEY": "test-secret",
    }
    if TEST_REDIS_URL:
        cfg["REDIS_URL"] = TEST_REDIS_URL
        cfg["RQ_QUEUE"] = f"civic-test-{uuid.uuid4().hex[:8]}"
    return cfg


def _normalise_pg(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Create the schema once: a template SQLite file, or the PostgreSQL test database."""
    if TEST_DATABASE_URL:
        url = _normalise_pg(TEST_DATABASE_URL)
        app = create_app(_config(tmp_path_factory.mktemp("pg"), url))
        with app.app_context():
            db.drop_all()
            db.create_all()
            db.session.remove()
            db.engine.dispose()
        return {"url": url}
    template = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app(_config(template.parent, f"sqlite:///{template}"))
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    return {"template": template}


@pytest.fixture
def app(tmp_path, _database):
    if "url" in _database:
        url = _database["url"]
    else:
        path = tmp_path / "test.db"
        shutil.copy(_database["template"], path)
        url = f"sqlite:///{path}"
    application = create_app(_config(tmp_path, url))
    if TEST_REDIS_URL:
        import redis

        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    with application.app_context():
        yield application
        db.session.remove()
        if "url" in _database:
            tables = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request gets its own application context and session, as in
    production, instead of reusing the test's (which would leak ``g``: the
    locale, the logged-in user)."""

    def open(self, *args, **kwargs):
        # A streamed answer (the CSV exports) is read to its end inside the
        # request's own context, as a real server would, before the test's
        # context is restored.
        kwargs.setdefault("buffered", True)
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def run_jobs(app):
    """Drain the job queue (real RQ worker in burst mode); no-op inline."""
    def run():
        if not app.config.get("REDIS_URL"):
            return 0
        from civic.core.jobs import make_worker

        worker = make_worker(app, simple=True)
        worker.work(burst=True, with_scheduler=False)
        db.session.expire_all()
        return 1
    return run


class Mail:
    def __init__(self, msg):
        self.msg = msg
        self.to = msg["To"]
        self.subject = msg["Subject"]
        self.body = msg.get_body(preferencelist=("plain",)).get_content()
        self.headers = dict(msg.items())

    def link(self, contains: str) -> str:
        import re

        for url in re.findall(r"https?://\S+", self.body):
            if contains in url:
                return url
        raise AssertionError(f"no link containing {contains!r} in mail {self.subject!r}:\n{self.body}")


@pytest.fixture
def mails(app, run_jobs):
    """``mails(to=None)`` -> the mails delivered so far (after running jobs)."""
    def read(to: str | None = None) -> list[Mail]:
        run_jobs()
        folder = Path(app.config["MAIL_DIR"])
        out = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            m = Mail(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
            if to is None or m.to == to:
                out.append(m)
        return out
    return read


@pytest.fixture
def login(client):
    from tests.helpers import login as log_in

    def do(user_or_email, password: str = PASSWORD, remember: bool = False):
        return log_in(client, user_or_email, password, remember)
    return do


@pytest.fixture
def factory(app):
    from tests import factories

    return factories


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock for what reads ``civic.core.time.utcnow`` through
    its module (the phases do): ``clock.set(datetime(...))``, ``clock.advance(days=2)``;
    ``clock.now`` is the current (naive UTC) moment."""
    from datetime import datetime, timedelta

    import civic.core.time as core_time

    class Clock:
        now = datetime(2026, 9, 1, 8, 0)

        def set(self, moment):
            self.now = moment

        def advance(self, **delta):
            self.now = self.now + timedelta(**delta)

    c = Clock()
    monkeypatch.setattr(core_time, "utcnow", lambda: c.now)
    return c
