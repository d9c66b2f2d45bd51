"""A whole Civic installation for the end-to-end cycle: an empty database
brought up by ``flask db upgrade`` and ``civic create-admin`` (nothing else),
gunicorn serving it, and, when TEST_REDIS_URL is set, the real ``civic worker``
and ``civic scheduler`` processes (inline jobs and the scheduler otherwise, as
``make demo`` runs). PostgreSQL when TEST_DATABASE_URL is set (a database of
its own, dropped afterwards), a SQLite file otherwise.

The processes share a test clock (``CIVIC_CLOCK_FILE``, see civic/core/time.py):
``install.advance(days=...)`` lets time pass for all of them at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@mairie.example"
ADMIN_PASSWORD = "une phrase de passe solide"


def _pg_url(url: str, database: str) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(("postgresql+psycopg", parts.netloc, "/" + database, parts.query, parts.fragment))


@dataclass
class CityInstall:
    base_url: str
    database_url: str
    inbox: object
    clock_file: Path
    env: dict
    redis: bool
    processes: list = field(default_factory=list)
    offset: float = 0.0

    def url(self, path: str) -> str:
        return self.base_url + path

    def drain_jobs(self) -> None:
        """The real worker runs the jobs; nothing to do here."""

    def wait_for_mail(self, address: str, timeout: float = 60.0):
        return self.inbox.wait_for(address, timeout=timeout)

    def advance(self, *, days: float = 0, hours: float = 0) -> None:
        """Let time pass for the web, worker and scheduler processes, then give
        the scheduler a few ticks to run what fell due."""
        self.offset += days * 86400 + hours * 3600
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(str(self.offset), encoding="ascii")
        tmp.replace(self.clock_file)
        time.sleep(3)

    def wait_for_phase(self, owner_kind: str, owner_id: int, code: str, timeout: float = 90.0) -> None:
        """Wait until the scheduler (and, on Redis, the worker) has moved the
        owner into the phase ``code`` after the clock moved."""
        deadline = time.monotonic() + timeout
        while not self.sql("SELECT 1 FROM phase WHERE owner_kind = :k AND owner_id = :i AND code = :c"
                           " AND is_current", k=owner_kind, i=owner_id, c=code):
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"{owner_kind} {owner_id} did not enter its {code} phase within {timeout} s")
            time.sleep(0.5)

    def sql(self, statement: str, **params):
        """Read rows straight from the installation's database (assertions only)."""
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(statement), params).all()
        finally:
            engine.dispose()

    def cli(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                              input=input, capture_output=True, text=True, timeout=180)
        if done.returncode:
            raise AssertionError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def check_alive(self) -> None:
        for name, proc, log in self.processes:
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{Path(log).read_text()[-4000:]}")


def start(tmp: Path, inbox, port: int) -> CityInstall:
    """Create the empty installation and start its processes."""
    pg = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if pg:
        name = f"civic_city_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(_pg_url(pg, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        database_url = _pg_url(pg, name)
    else:
        database_url = f"sqlite:///{tmp / 'city.db'}"
    clock = tmp / "clock"
    clock.write_text("0", encoding="ascii")
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    env.update({
        "CIVIC_ENV": "development", "DATABASE_URL": database_url, "SECRET_KEY": "city-cycle-secret",
        "BASE_URL": base_url, "MAIL_URL": inbox.url, "MAIL_FROM": "Mairie <participation@mairie.example>",
        "CIVIC_INSTANCE": str(tmp / "instance"), "CIVIC_CLOCK_FILE": str(clock), "RQ_QUEUE": f"city-{uuid.uuid4().hex[:8]}",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    install = CityInstall(base_url, database_url, inbox, clock, env, bool(redis_url))
    install.cli("db", "upgrade")
    install.cli("civic", "create-admin", "--email", ADMIN_EMAIL, "--name", "Anne Admin",
                "--password", ADMIN_PASSWORD)

    def spawn(name: str, argv: list[str]) -> None:
        log = tmp / f"{name}.log"
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        install.processes.append((name, proc, log))

    bin_dir = Path(sys.executable).parent
    spawn("web", [str(bin_dir / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                  "--timeout", "60", "wsgi:app"])
    spawn("scheduler", [sys.executable, "-m", "flask", "--app", "wsgi", "civic", "scheduler"])
    if redis_url:
        spawn("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "civic", "worker"])
    import urllib.request

    deadline = time.monotonic() + 60
    while True:
        install.check_alive()
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the installation did not answer /healthz within 60 s")
        time.sleep(0.3)
    return install


def stop(install: CityInstall) -> None:
    for _name, proc, _log in install.processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for _name, proc, _log in install.processes:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    if install.database_url.startswith("postgresql"):
        name = urlsplit(install.database_url).path.lstrip("/")
        admin = sa.create_engine(_pg_url(install.database_url, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
