"""Fault harness: a signing surge with a fault injected mid-surge.

Usage (from the repository root)::

    .venv/bin/python bench/bench_faults.py                  # all scenarios, ~5 minutes
    .venv/bin/python bench/bench_faults.py --only worker_kill --rate 40

Starts a private stack that touches nothing shared: its own PostgreSQL
cluster (initdb in a temporary directory, free port, run as ``postgres``
when started as root), its own ``redis-server`` (free port, no persistence),
an SMTP sink (aiosmtpd, in this process: mails per recipient, duplicates),
gunicorn, two ``flask civic worker --simple`` and one ``flask civic
scheduler``, the last three under a small supervisor that restarts a dead
process after 2 s (``RestartSec=2`` of the systemd units in docs/deploy.md).

Each scenario signs a fresh petition for ``--duration`` seconds at
``--rate`` signatures a second (concurrent keep-alive HTTP clients, one
distinct address each), injects its fault, waits for every accepted
signature's mail, confirms each through the token in its mail, waits for
the tally, then checks rows, tally and mails:

- ``reference``: no fault (the same surge, for the ratios);
- ``worker_kill``: a worker busy with a job is killed with SIGKILL (the
  supervisor restarts it);
- ``redis_stop``: Redis stopped for 20 s (its data is lost: no
  persistence), then started again;
- ``pg_restart``: ``pg_ctl restart -m fast``.

One JSON line per scenario, then a summary line. Exit status 0 only if no
request got a 5xx other than 503, nothing was lost or counted twice, every
mail was delivered and no process had to be restarted that was not killed.
"""

from __future__ import annotations

import argparse
import collections
import email
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from benchstack import (
    POSTCODES,
    REPO,
    PrivateCluster,
    app_env,
    free_port,
    gunicorn_cmd,
    logger,
    scheduler_cmd,
    seed,
    start_redis,
    worker_cmd,
)

QUEUE = "civic-faults"

log = logger("faults")


# --- the SMTP sink -----------------------------------------------------------

class Sink:
    """An SMTP server that keeps, per recipient, the arrival time and the
    confirmation token of every message."""

    TOKEN = re.compile(r"/signature/([A-Za-z0-9_.\-]+)/confirm")

    def __init__(self, port: int, delay: float = 0.0):
        import asyncio

        from aiosmtpd.controller import Controller

        self.lock = threading.Lock()
        self.by_rcpt: dict[str, list[tuple[float, str | None]]] = collections.defaultdict(list)
        self.total = 0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if delay:
                    await asyncio.sleep(delay)
                raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
                msg = email.message_from_bytes(raw)
                body = msg.get_payload(decode=True) or b""
                m = sink.TOKEN.search(body.decode("utf-8", "replace"))
                now = time.time()
                with sink.lock:
                    sink.total += 1
                    for rcpt in envelope.rcpt_tos:
                        sink.by_rcpt[rcpt.lower()].append((now, m.group(1) if m else None))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def snapshot(self, recipients) -> dict:
        with self.lock:
            return {r: list(self.by_rcpt.get(r, ())) for r in recipients}


# --- the stack ---------------------------------------------------------------

class Stack:
    def __init__(self, tmp: Path, args):
        self.tmp, self.args = tmp, args
        self.redis_port, self.smtp_port, self.web_port = (free_port() for _ in range(3))
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.pg = PrivateCluster(tmp / "pg")
        self.env = app_env(tmp, database_url=self.pg.url(), redis_url=f"redis://127.0.0.1:{self.redis_port}/0",
                           base_url=self.base, queue=QUEUE, MAIL_URL=f"smtp://127.0.0.1:{self.smtp_port}")
        self.log = open(tmp / "stack.log", "w")  # noqa: SIM115 (closed in stop())
        self.redis = None
        self.supervised: dict[str, dict] = {}  # name -> {"cmd", "proc", "restarts", "expected"}
        self.web = None
        self.sink = None
        self._stop = threading.Event()
        self._supervisor = None

    # PostgreSQL
    def pg_ctl(self, *args) -> None:
        self.pg.pg_ctl(*args)

    def start_pg(self) -> None:
        self.pg.init().start()
        self.psql("CREATE DATABASE civic", db="postgres")

    def psql(self, sql: str, db: str = "civic") -> str:
        return self.pg.psql(sql, db)

    # Redis
    def start_redis(self) -> None:
        self.redis = start_redis(self.redis_port, self.tmp, self.log)

    def stop_redis(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def redis_client(self):
        import redis

        return redis.Redis(port=self.redis_port, socket_timeout=2)

    # App processes
    def _popen(self, cmd):
        return subprocess.Popen(cmd, env=self.env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start_app(self) -> None:
        self.sink = Sink(self.smtp_port, self.args.smtp_delay / 1000)
        self.web = self._popen(gunicorn_cmd(self.web_port, workers=self.args.web_workers,
                                            extra=("--graceful-timeout", "5")))
        for i in (1, 2):
            self.supervise(f"worker{i}", worker_cmd(10))
        self.supervise("scheduler", scheduler_cmd(10))
        self._supervisor = threading.Thread(target=self._supervise_loop, daemon=True)
        self._supervisor.start()
        self.wait_healthy(60)

    def supervise(self, name, cmd) -> None:
        self.supervised[name] = {"cmd": cmd, "proc": self._popen(cmd), "restarts": 0, "expected": 0,
                                 "died_at": None}

    def _supervise_loop(self) -> None:
        while not self._stop.is_set():
            for name, s in self.supervised.items():
                if s["proc"].poll() is None:
                    continue
                if s["died_at"] is None:
                    s["died_at"] = time.time()
                    log(f"{name} exited ({s['proc'].returncode}); restarting in 2 s")
                elif time.time() - s["died_at"] >= 2:
                    s["proc"] = self._popen(s["cmd"])
                    s["restarts"] += 1
                    s["died_at"] = None
            time.sleep(0.2)

    def wait_healthy(self, timeout: float) -> float:
        start = time.time()
        while time.time() - start < timeout:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return time.time()
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("the stack did not become healthy")

    def stop(self) -> None:
        self._stop.set()
        if self._supervisor:
            self._supervisor.join(timeout=2)
        procs = [s["proc"] for s in self.supervised.values()] + [p for p in (self.web, self.redis) if p]
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if self.sink:
            self.sink.stop()
        self.pg.stop()
        self.log.close()


# --- load --------------------------------------------------------------------

class Surge:
    """``threads`` keep-alive clients signing at ``rate`` a second in all for
    ``duration`` seconds; each request has its own address."""

    def __init__(self, stack: Stack, pid: int, tag: str, *, rate: float, duration: float, threads: int):
        self.stack, self.pid, self.tag = stack, pid, tag
        self.rate, self.duration, self.threads = rate, duration, threads
        self.status = collections.Counter()
        self.accepted: dict[str, float] = {}  # address -> when its 202 came
        self.lock = threading.Lock()
        self.next = 0
        self.t0 = 0.0

    def _client(self, form: bool):
        holder = [None]
        path = f"/api/v1/petitions/{self.pid}/signatures"
        session = None
        while True:
            with self.lock:
                i = self.next
                self.next += 1
            at = self.t0 + i / self.rate
            if at - self.t0 >= self.duration:
                return
            delay = at - time.time()
            if delay > 0:
                time.sleep(delay)
            addr = f"{'f' if form else 's'}{i}@{self.tag}{i % 50}.example"  # f: the form, s: the API
            fields = {"name": f"Signer {self.tag} {i}", "email": addr, "postcode": POSTCODES[i % 7]}
            if form:
                # The HTML form: its page once per client for the session
                # cookie and CSRF token (again after an error), then a POST.
                if session is None:
                    session = _form_session(holder, self.stack.web_port, f"/petitions/{self.pid}/sign")
                if isinstance(session, str):
                    code, session = f"form:GET:{session}", None
                else:
                    cookie, csrf = session
                    body = urllib.parse.urlencode({**fields, "csrf_token": csrf, "attest": "y",
                                                   **({"notify": "y"} if i % 3 == 0 else {})})
                    code = "form:" + _post(holder, self.stack.web_port, f"/petitions/{self.pid}/sign", body,
                                           ctype="application/x-www-form-urlencoded", cookie=cookie)
                    if code != "form:200":
                        session = None
            else:
                body = json.dumps({**fields, "attest": True, "notify": i % 3 == 0})
                code = _post(holder, self.stack.web_port, path, body)
            with self.lock:
                self.status[code] += 1
                if code in ("202", "form:200"):
                    self.accepted[addr] = time.time()

    def run(self) -> None:
        self.t0 = time.time()
        # One client in three signs through the HTML form, the others through the API.
        threads = [threading.Thread(target=self._client, args=(n % 3 == 2,)) for n in range(self.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


def _form_session(holder: list, port: int, path: str):
    """(cookie, csrf token) from the form page, or the failure as a string."""
    try:
        if holder[0] is None:
            holder[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        holder[0].request("GET", path)
        resp = holder[0].getresponse()
        page = resp.read()
        cookies = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
        m = CSRF.search(page)
        if resp.status != 200 or not m:
            return str(resp.status)
        return "; ".join(cookies), m.group(1).decode()
    except (OSError, http.client.HTTPException) as exc:
        if holder[0] is not None:
            holder[0].close()
        holder[0] = None
        return type(exc).__name__


def _post(holder: list, port: int, path: str, body: str, *, ctype: str = "application/json",
          cookie: str | None = None) -> str:
    """POST on the holder's keep-alive connection (reconnecting once it broke);
    the status as a string, or the exception's name."""
    try:
        if holder[0] is None:
            holder[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        headers = {"Content-Type": ctype, **({"Cookie": cookie} if cookie else {})}
        holder[0].request("POST", path, body=body, headers=headers)
        resp = holder[0].getresponse()
        resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            holder[0].close()
            holder[0] = None
        return str(resp.status)
    except (OSError, http.client.HTTPException) as exc:
        if holder[0] is not None:
            holder[0].close()
        holder[0] = None
        return type(exc).__name__


def confirm_all(stack: Stack, tokens: list[str], threads: int) -> collections.Counter:
    status = collections.Counter()
    lock = threading.Lock()
    todo = iter(list(tokens))

    def client():
        holder = [None]
        while True:
            with lock:
                token = next(todo, None)
            if token is None:
                return
            # A 503 says "try again" (Retry-After): a resident would.
            for _attempt in range(5):
                code = _post(holder, stack.web_port, f"/api/v1/petitions/signatures/{token}/confirm", "")
                with lock:
                    status[code] += 1
                if code != "503":
                    break
                time.sleep(1)

    ts = [threading.Thread(target=client) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return status


# --- faults ------------------------------------------------------------------

def busy_worker_pid(stack: Stack) -> int | None:
    """The pid of a worker that is running a job now (RQ's worker hashes)."""
    try:
        client = stack.redis_client()
        for key in client.scan_iter("rq:worker:*"):
            info = client.hgetall(key)
            if info.get(b"state") == b"busy" and info.get(b"pid"):
                return int(info[b"pid"])
    except Exception:
        return None
    return None


def claimed_unsent(stack: Stack) -> int:
    return int(stack.psql("SELECT count(*) FROM outbox_message WHERE delivered_at IS NULL"
                          " AND failed_at IS NULL AND claimed_until > now() AT TIME ZONE 'UTC'"))


def fault_worker_kill(stack: Stack, record: dict) -> None:
    # Wait for a worker in a job while mails are claimed and not yet sent
    # (a delivery under way), so the kill leaves claims behind.
    end = time.time() + 15
    pid, claimed = None, 0
    while time.time() < end:
        pid = busy_worker_pid(stack)
        claimed = claimed_unsent(stack) if pid else 0
        if pid and claimed:
            break
        time.sleep(0.02)
    record["claimed_unsent_at_kill"] = claimed
    workers = {s["proc"].pid: name for name, s in stack.supervised.items() if name.startswith("worker")}
    # ``nice`` execs flask: the worker's pid is the supervised process's.
    name = workers.get(pid) if pid else None
    if name is None:
        name = "worker1"
        pid = stack.supervised[name]["proc"].pid
        record["killed_busy"] = False
    else:
        record["killed_busy"] = True
    stack.supervised[name]["expected"] += 1
    os.kill(pid, signal.SIGKILL)
    record["fault_at"] = time.time()
    log(f"  SIGKILL {name} (pid {pid}, busy with a job: {record['killed_busy']})")
    end = time.time() + 10
    while stack.supervised[name]["restarts"] < stack.supervised[name]["expected"] and time.time() < end:
        time.sleep(0.1)
    record["recovered_at"] = time.time()


def fault_redis_stop(stack: Stack, record: dict, seconds: float) -> None:
    stack.stop_redis()
    record["fault_at"] = time.time()
    log(f"  redis-server stopped for {seconds:.0f} s")
    time.sleep(seconds)
    stack.start_redis()
    record["recovered_at"] = time.time()
    log("  redis-server started again (empty)")


def fault_pg_restart(stack: Stack, record: dict) -> None:
    record["fault_at"] = time.time()
    stack.pg_ctl("restart", "-m", "fast")
    record["recovered_at"] = time.time()
    log(f"  PostgreSQL restarted in {record['recovered_at'] - record['fault_at']:.1f} s")


# --- one scenario ------------------------------------------------------------

def db_state(stack: Stack, pid: int) -> dict:
    row = stack.psql(
        "SELECT count(*), count(*) FILTER (WHERE state = 'validated'),"
        " count(*) FILTER (WHERE state = 'validated' AND NOT flagged),"
        " count(*) FILTER (WHERE dirty), count(*) FILTER (WHERE mail_pending),"
        f" (SELECT signature_count FROM petition WHERE id = {pid}),"
        f" (SELECT coalesce(sum(count), 0) FROM petition_district_count WHERE petition_id = {pid}),"
        " (SELECT count(*) FROM outbox_message WHERE delivered_at IS NULL AND failed_at IS NULL),"
        " (SELECT count(*) FROM outbox_message WHERE failed_at IS NOT NULL)"
        f" FROM petition_signature WHERE petition_id = {pid}")
    keys = ["rows", "validated", "countable", "dirty", "mail_pending", "tallied", "tallied_by_district",
            "outbox_undelivered", "outbox_failed"]
    return dict(zip(keys, map(int, row.split("|")), strict=True))


def wait_db_state(stack: Stack, pid: int, ok, timeout: float) -> dict:
    end = time.time() + timeout
    while True:
        try:
            state = db_state(stack, pid)
            if ok(state) or time.time() > end:
                return state
        except subprocess.CalledProcessError:
            if time.time() > end:
                raise
        time.sleep(0.5)


def processes_alive(stack: Stack) -> bool:
    return stack.web.poll() is None and all(s["proc"].poll() is None for s in stack.supervised.values())


def scenario(stack: Stack, name: str, pid: int, args) -> dict:
    log(f"scenario {name}: {args.rate:.0f} signatures/s for {args.duration} s on petition {pid}")
    before = {k: s["restarts"] - s["expected"] for k, s in stack.supervised.items()}
    record: dict = {}
    surge = Surge(stack, pid, name.replace("_", ""), rate=args.rate, duration=args.duration,
                  threads=args.clients)
    fault = {
        "reference": None,
        "worker_kill": lambda: fault_worker_kill(stack, record),
        "redis_stop": lambda: fault_redis_stop(stack, record, args.redis_down),
        "pg_restart": lambda: fault_pg_restart(stack, record),
    }[name]
    t_surge = threading.Thread(target=surge.run)
    t_surge.start()
    if fault:
        time.sleep(args.fault_at)
        fault()
    t_surge.join()
    surge_end = time.time()
    recovered = record.get("recovered_at", surge_end)
    expected = sorted(surge.accepted)
    log(f"  surge done: {dict(surge.status)}; waiting for {len(expected)} mails")

    # Every accepted signature's confirmation mail.
    all_mailed_at = None
    end = time.time() + args.mail_timeout
    while time.time() < end:
        got = stack.sink.snapshot(expected)
        if all(got[r] for r in expected):
            all_mailed_at = max((got[r][0][0] for r in expected), default=surge_end)
            break
        time.sleep(0.5)
    got = stack.sink.snapshot(expected)
    tokens = [got[r][0][1] for r in expected if got[r] and got[r][0][1]]
    log(f"  {sum(1 for r in expected if got[r])} mailed; confirming {len(tokens)} through their tokens")
    confirm_status = confirm_all(stack, tokens, args.clients)
    confirmed = confirm_status.get("200", 0)

    # The tally catches up, the outbox empties, then a few quiet seconds for
    # any duplicate (re-sent after a claim expired) to arrive.
    state = wait_db_state(stack, pid, lambda s: s["dirty"] == 0 and s["mail_pending"] == 0
                          and s["outbox_undelivered"] == 0 and s["tallied"] == s["countable"], args.mail_timeout)
    time.sleep(args.settle)
    state = db_state(stack, pid)
    got = stack.sink.snapshot(expected)
    received = sum(len(v) for v in got.values())
    lost_mails = sum(1 for r in expected if not got[r])
    duplicated = sum(len(v) - 1 for v in got.values() if len(v) > 1)
    # How long each signer waited for their mail (from the 202 to the first copy).
    waits = sorted(got[r][0][0] - surge.accepted[r] for r in expected if got[r])
    sign_5xx = sum(v for k, v in surge.status.items() if k.rpartition(":")[2].startswith("5")
                   and not k.endswith("503"))
    confirm_5xx = sum(v for k, v in confirm_status.items() if k.startswith("5") and k != "503")
    unexpected = {k: s["restarts"] - s["expected"] - before[k] for k, s in stack.supervised.items()
                  if s["restarts"] - s["expected"] - before[k]}
    # Rows no 202 announced: a request answered 503 ("nothing was recorded")
    # although its signature was committed.
    emails = set(stack.psql(f"SELECT email FROM petition_signature WHERE petition_id = {pid}").split())
    unannounced = sorted(emails - set(expected))
    lost_signatures = (max(0, len(expected) - state["rows"]) + max(0, min(confirmed, len(tokens)) - state["validated"])
                       + max(0, state["countable"] - state["tallied"]))
    double = max(0, state["tallied"] - state["countable"]) + abs(state["tallied_by_district"] - state["tallied"])
    result = {
        "scenario": name,
        "sign_requests": dict(sorted(surge.status.items())),
        "confirm_requests": dict(sorted(confirm_status.items())),
        "http_500": sign_5xx + confirm_5xx,
        "accepted": len(expected), "rows": state["rows"], "confirmed": confirmed, "validated": state["validated"],
        "countable": state["countable"], "tallied": state["tallied"], "tallied_by_district": state["tallied_by_district"],
        "tally_equals_rows": state["tallied"] == state["countable"] == state["tallied_by_district"],
        "lost_signatures": lost_signatures, "double_counted": double,
        "rows_without_202": len(unannounced), "rows_without_202_sample": unannounced[:5],
        "mails_expected": len(expected), "mails_received": received, "mails_duplicated": duplicated,
        "mails_lost": lost_mails, "outbox_failed": state["outbox_failed"],
        "fault_s": round(record["recovered_at"] - record["fault_at"], 1) if "fault_at" in record else None,
        "fault_at_s": round(record["fault_at"] - surge.t0, 1) if "fault_at" in record else None,
        "mails_done_after_recovery_s": round(all_mailed_at - recovered, 1) if all_mailed_at else None,
        "mails_done_after_surge_s": round(all_mailed_at - surge_end, 1) if all_mailed_at else None,
        "mail_wait_p50_s": round(waits[len(waits) // 2], 2) if waits else None,
        "mail_wait_p99_s": round(waits[int(len(waits) * 0.99)], 2) if waits else None,
        "mail_wait_max_s": round(waits[-1], 2) if waits else None,
        "unexpected_restarts": unexpected, "processes_alive": processes_alive(stack),
    }
    if "killed_busy" in record:
        result["killed_busy_worker"] = record["killed_busy"]
        result["claimed_unsent_at_kill"] = record["claimed_unsent_at_kill"]
    result["ok"] = (result["http_500"] == 0 and lost_signatures == 0 and double == 0 and lost_mails == 0
                    and result["tally_equals_rows"] and not unexpected and result["processes_alive"]
                    and all_mailed_at is not None)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=["reference", "worker_kill", "redis_stop", "pg_restart"],
                    help="run only these scenarios (repeatable); the reference always runs first if chosen")
    ap.add_argument("--rate", type=float, default=60, help="signatures a second during the surge")
    ap.add_argument("--duration", type=int, default=35, help="seconds of each surge")
    ap.add_argument("--fault-at", type=float, default=6, help="seconds into the surge the fault starts")
    ap.add_argument("--redis-down", type=float, default=20, help="seconds Redis stays stopped")
    ap.add_argument("--clients", type=int, default=12, help="concurrent HTTP clients")
    ap.add_argument("--web-workers", type=int, default=3)
    ap.add_argument("--smtp-delay", type=float, default=10,
                    help="milliseconds the sink takes per message, as a relay would (a kill then hits mid-delivery)")
    ap.add_argument("--mail-timeout", type=float, default=150, help="seconds to wait for the mails and the tally")
    ap.add_argument("--settle", type=float, default=5, help="quiet seconds before counting duplicates")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = ap.parse_args()
    names = args.only or ["reference", "worker_kill", "redis_stop", "pg_restart"]

    tmp = Path(tempfile.mkdtemp(prefix="civic-faults-"))
    stack = Stack(tmp, args)
    results = []
    started = time.time()
    try:
        stack.start_pg()
        stack.start_redis()
        ids = seed(stack.env, [{"key": name, "title": f"Fault scenario {name}", "background": "Fault harness."}
                               for name in names], reset=False)
        log(f"private stack: PostgreSQL :{stack.pg.port}, Redis :{stack.redis_port}, SMTP :{stack.smtp_port}, "
            f"web :{stack.web_port} ({tmp})")
        stack.start_app()
        for name in names:
            results.append(scenario(stack, name, ids[name], args))
            print(json.dumps(results[-1]), flush=True)
    finally:
        stack.stop()
        if args.keep:
            log(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    ref = next((r for r in results if r["scenario"] == "reference"), None)
    summary = {
        "summary": True, "ok": all(r["ok"] for r in results), "scenarios": len(results),
        "http_500": sum(r["http_500"] for r in results),
        "lost_signatures": sum(r["lost_signatures"] for r in results),
        "double_counted": sum(r["double_counted"] for r in results),
        "mails_lost": sum(r["mails_lost"] for r in results),
        "mails_duplicated": sum(r["mails_duplicated"] for r in results),
        "rate": args.rate, "duration_s": args.duration, "cpus": os.cpu_count(),
        "wall_s": round(time.time() - started, 1),
    }
    if ref and ref["mails_done_after_surge_s"] is not None:
        base = max(ref["mails_done_after_surge_s"], 0.5)
        summary["reference_mails_done_after_surge_s"] = ref["mails_done_after_surge_s"]
        summary["reference_mail_wait_max_s"] = ref["mail_wait_max_s"]
        summary["mail_wait_max_vs_reference"] = {
            r["scenario"]: round(r["mail_wait_max_s"] / max(ref["mail_wait_max_s"], 0.1), 1) for r in results
            if r["scenario"] != "reference" and r["mail_wait_max_s"] is not None}
        summary["mail_delay_vs_reference"] = {
            r["scenario"]: round(r["mails_done_after_surge_s"] / base, 2) for r in results
            if r["scenario"] != "reference" and r["mails_done_after_surge_s"] is not None}
    print(json.dumps(summary), flush=True)
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
