"""The pieces every stack benchmark shares: starting the stack and seeding it.

Imported by the scripts next to it (``bench/bench_*.py`` run as scripts, so
this directory is on ``sys.path``):

- ``seed()``: the schema, six Toulouse districts (postcodes 31000 to 31500),
  the per-IP and per-domain limits raised (all load comes from 127.0.0.1),
  and the petitions a benchmark asks for, by key;
- ``PrivateCluster``: a throwaway PostgreSQL cluster (initdb in a temporary
  directory, a free port, TCP only, ``fsync = off``, run as the ``postgres``
  user when started as root), with an optional streaming replica
  (``pg_basebackup -R``); the machine's PostgreSQL is never reconfigured;
- ``start_redis()``: a private ``redis-server`` without persistence;
- ``gunicorn_cmd()``, ``worker_cmd()``, ``scheduler_cmd()`` and
  ``Processes``: the application processes, each in its own session so a
  whole process group is stopped at the end;
- ``wrk()``, ``combine()``: wrk runs with a Lua script that prints one JSON
  line of figures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repository's virtualenv, else the one running this script (a git worktree has no .venv of its own).
VENV = REPO / ".venv" / "bin" if (REPO / ".venv" / "bin" / "python").exists() else Path(sys.executable).parent
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
POSTCODES = ["31000", "31100", "31200", "31300", "31400", "31500", "31700"]  # 31700: no district

SEED_SNIPPET = r"""
import json, secrets, sys
from datetime import timedelta
from civic import create_app
from civic.extensions import db
spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    if spec["reset"]:
        db.drop_all()
    db.create_all()
    from civic.accounts.models import District, DistrictPostcode
    from civic.core.settings import store_setting
    from civic.core.time import utcnow
    from civic.petitions.models import Petition, PetitionState
    for i in range(spec["districts"]):
        pc = f"31{i}00" if spec["districts"] <= 9 else f"31{i:03d}"
        db.session.add(District(code=f"T{i + 1:02d}", name=f"Quartier {i + 1}",
                                postcodes=[DistrictPostcode(postcode=pc)]))
    # All requests come from 127.0.0.1: raise the per-IP and per-domain limits for the run.
    store_setting("petitions.ip_limit", 10**9)
    store_setting("petitions.domain_limit", 10**9)
    now = utcnow()
    ids = {}
    for p in spec["petitions"]:
        open_ = p.get("state", "open") == "open"
        row = Petition(title=p["title"], background=p.get("background", "Benchmark."),
                       state=PetitionState.OPEN if open_ else PetitionState.DRAFT,
                       opened_at=now - timedelta(days=p.get("age_days", 0)) if open_ else None,
                       closes_at=now + timedelta(days=180) if open_ else None,
                       response_threshold=p.get("response_threshold", 10**7),
                       debate_threshold=p.get("debate_threshold", 10**8), sponsor_token=secrets.token_urlsafe(18))
        db.session.add(row)
        db.session.flush()
        ids[p["key"]] = row.id
    db.session.commit()
    print(json.dumps(ids))
"""

# Printed by wrk at the end: one JSON line with the figures we need.
DONE_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def logger(prefix: str):
    def log(msg: str) -> None:
        print(f"[{prefix}] {time.strftime('%H:%M:%S')} {msg}", flush=True)
    return log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(tmp: Path, *, database_url: str, redis_url: str, base_url: str, queue: str, **extra) -> dict:
    """The environment of every application process of a benchmark stack."""
    return dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url,
                SECRET_KEY="bench-secret-key-not-for-production", CIVIC_ENV="production", BASE_URL=base_url,
                CIVIC_INSTANCE=str(tmp / "instance"), MAIL_DIR=str(tmp / "mail"), RQ_QUEUE=queue,
                PYTHONUNBUFFERED="1", **extra)


def run_py(code: str, env: dict, *args) -> str:
    """Run a snippet in the application's virtualenv; its last line of output."""
    out = subprocess.run([str(VENV / "python"), "-c", code, *map(str, args)], env=env, cwd=REPO,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"snippet failed ({out.returncode})")
    return out.stdout.strip().splitlines()[-1]


def seed(env: dict, petitions: list[dict], *, reset: bool = True, districts: int = 6) -> dict:
    """Schema, districts, raised limits and the given petitions (``key``,
    ``title``, optional ``state`` "open"/"draft"); returns {key: id}."""
    spec = {"reset": reset, "districts": districts, "petitions": petitions}
    return json.loads(run_py(SEED_SNIPPET, env, json.dumps(spec)))


def wait_http(url: str, timeout: float = 240) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


# --- PostgreSQL ----------------------------------------------------------------------------------

class PrivateCluster:
    """A throwaway PostgreSQL cluster under ``root`` on a free port."""

    def __init__(self, root: Path, *, port: int | None = None, settings: str = ""):
        if not PG_BIN:
            raise SystemExit("no /usr/lib/postgresql/*/bin/initdb")
        self.bin = PG_BIN[-1].parent
        self.root, self.port = root, port or free_port()
        self.data = root / "data"
        self.settings = settings
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.started = False

    def _own(self, path: Path) -> None:
        if self.as_pg:
            shutil.chown(path, "postgres")

    def _prepare_root(self) -> None:
        self.root.mkdir(parents=True)
        if self.as_pg:
            os.chmod(self.root.parent, 0o755)
            self._own(self.root)

    def _configure(self) -> None:
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                    "fsync = off\nmax_connections = 200\nshared_buffers = 64MB\n" + self.settings)
        self._own(self.data / "postgresql.conf")

    def init(self) -> PrivateCluster:
        self._prepare_root()
        # -A trust also writes the "host replication all 127.0.0.1/32 trust" line pg_basebackup needs.
        subprocess.run([*self.as_pg, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "-A", "trust", "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        self._configure()
        return self

    def replica(self, root: Path) -> PrivateCluster:
        """A streaming replica of this (running) cluster: ``pg_basebackup -R``
        writes ``standby.signal`` and the ``primary_conninfo``."""
        rep = PrivateCluster(root)
        rep._prepare_root()
        subprocess.run([*self.as_pg, str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "postgres", "-D", str(rep.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"],
                       check=True, capture_output=True)
        rep._configure()  # the copied postgresql.conf has the primary's port: the last setting wins
        return rep

    def pg_ctl(self, *args) -> None:
        subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                        "-l", str(self.root / "server.log"), *args], check=True, capture_output=True)

    def start(self) -> PrivateCluster:
        self.pg_ctl("start")
        self.started = True
        return self

    def stop(self) -> None:
        if self.started and self.data.exists():
            try:
                self.pg_ctl("stop", "-m", "fast")
            except subprocess.CalledProcessError:
                pass
        self.started = False

    def url(self, db: str = "civic") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql: str, db: str = "civic") -> str:
        out = subprocess.run(["psql", self.url(db), "-tAc", sql], capture_output=True, text=True, check=True)
        return out.stdout.strip()


def recreate_database(server: str, name: str) -> str:
    """Drop and create ``name`` on a server URL without a database; its URL."""
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", server + "/postgres", "-qc", sql], check=True, capture_output=True)
    return f"{server}/{name}"


# --- Redis and the application processes -------------------------------------------------------

def start_redis(port: int, workdir: Path, log_file) -> subprocess.Popen:
    """A private redis-server without persistence (a stopped one comes back empty)."""
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=log_file,
                            stderr=subprocess.STDOUT, start_new_session=True)
    end = time.time() + 10
    while time.time() < end:
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                          text=True).stdout.strip() == "PONG":
            return proc
        time.sleep(0.1)
    raise SystemExit("redis-server did not start")


def gunicorn_cmd(port: int, *, workers: int, threads: int = 4, worker_class: str = "gthread",
                 extra: tuple = ()) -> list[str]:
    return [str(VENV / "gunicorn"), "-w", str(workers), "-k", worker_class, "--threads", str(threads),
            "-b", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning", *extra, "wsgi:app"]


def _niced(nice: int, idle: bool = False) -> list[str]:
    # Background work yields the CPU to web requests during a surge and catches up after it.
    cmd = ["nice", "-n", str(nice)] if nice else []
    return ["chrt", "--idle", "0", *cmd] if idle else cmd


def worker_cmd(nice: int = 10, idle: bool = False) -> list[str]:
    # --simple: jobs run in the worker process (no fork per job), for short jobs.
    return [*_niced(nice, idle), str(VENV / "flask"), "--app", "wsgi", "civic", "worker", "--simple"]


def scheduler_cmd(nice: int = 10, idle: bool = False) -> list[str]:
    return [*_niced(nice, idle), str(VENV / "flask"), "--app", "wsgi", "civic", "scheduler"]


class Processes:
    """Started processes, each its own process group, all stopped by ``stop()``."""

    def __init__(self, env: dict, log_file):
        self.env, self.log_file = env, log_file
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, env=env or self.env, cwd=REPO, stdout=self.log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, timeout: float = 20) -> None:
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []


# --- wrk -----------------------------------------------------------------------------------------

def wrk(script: str, url: str, args: list, *, duration: int, connections: int, threads: int, tmp: Path,
        until=None, headers: tuple = ()) -> dict:
    """Run wrk with a Lua script (``%(done)s`` is replaced by the JSON
    summary); ``until()`` (polled) may end the run early with SIGINT, after
    which wrk still prints its summary."""
    path = tmp / f"wrk-{abs(hash(script)) % 10**8}.lua"
    path.write_text(script.replace("%(done)s", DONE_LUA))
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
           *[a for h in headers for a in ("-H", h)], "-s", str(path), url, "--", *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if until is not None:
        while proc.poll() is None:
            time.sleep(0.25)
            if until():
                proc.send_signal(signal.SIGINT)
                break
    stdout, stderr = proc.communicate()
    m = re.search(r"^WRKJSON (.*)$", stdout, re.M)
    if not m:
        sys.stderr.write(stdout + stderr)
        raise SystemExit("wrk failed")
    data = json.loads(m.group(1))
    seconds = data["duration_us"] / 1e6
    data["ok"] = data["requests"] - data["status_errors"]
    data["rps"] = round(data["ok"] / seconds, 1) if seconds else 0.0
    data["seconds"] = round(seconds, 2)
    return data


def combine(runs: list[dict]) -> dict:
    """Rounds of one phase as one: throughput over the summed time, the worst p99."""
    seconds = sum(r["seconds"] for r in runs)
    ok = sum(r["ok"] for r in runs)
    return {"ok": ok, "seconds": round(seconds, 2), "rps": round(ok / seconds, 1) if seconds else 0.0,
            "p99_us": max(r["p99_us"] for r in runs), "status_errors": sum(r["status_errors"] for r in runs),
            "socket_errors": sum(r["socket_errors"] for r in runs), "rounds_rps": [r["rps"] for r in runs]}
