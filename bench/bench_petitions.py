"""Load benchmark of petition signing on the real stack.

Usage (from the repository root)::

    .venv/bin/python bench/bench_petitions.py            # 30 s phases
    .venv/bin/python bench/bench_petitions.py --duration 10

Starts gunicorn (PostgreSQL, Redis, RQ workers and the scheduler), creates an
open petition, then drives it over loopback with wrk:

1. signatures with distinct emails (``POST /api/v1/petitions/<id>/signatures``);
2. their confirmations (the mailed token, ``POST .../signatures/<token>/confirm``);
3. reads: the count endpoint and the petition page (``--reads-per-page 4``:
   3 count polls per page view, i.e. a visitor staying 30 s with the page's
   10 s refresh), then each alone for a third of the duration;
4. the reference: ``POST /bench/floor/<id>``, one plain INSERT into the same
   table in the same app and stack (registered only with ``CIVIC_BENCH=1``).

Phases 1 and 4 alternate in ``--rounds 3`` rounds (reference, then signing,
then the signing round's mails drain) that share ``--duration``: machine
drift and the way wrk's connections happen to spread over the web workers
weigh on both alike.

After the workers drain and the tally has run, it checks that the tallied
count equals the confirmed rows exactly. The last line printed is one JSON
object: ``sign_rps``, ``sign_p99_ms``, ``confirm_rps``, ``read_rps``,
``floor_rps``, ``sign_vs_floor``, ``lost``, ``double_counted`` (and details).

The per-IP and per-domain limits are raised for the run: every request comes
from 127.0.0.1, which in production would be many people behind one address.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchstack import (
    Processes,
    app_env,
    combine,
    gunicorn_cmd,
    logger,
    recreate_database,
    run_py,
    scheduler_cmd,
    seed,
    wait_http,
    worker_cmd,
    wrk,
)

log = logger("bench")

SIGN_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  path = args[1]
  round = args[2] or "1"
  codes = {"31000", "31100", "31200", "31300", "31400", "31500", "31700"}
end
function request()
  n = n + 1
  local body = string.format(
    '{"name":"Bench %d-%d","email":"b%s.%d.%d@bench%d.example","postcode":"%s","attest":true,"notify":%s}',
    tid, n, round, tid, n, tid, codes[(n % 7) + 1], (n % 3 == 0) and "true" or "false")
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
%(done)s
"""

CONFIRM_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  paths = {}
  local i = 0
  local total = tonumber(args[2])
  for line in io.lines(args[1]) do
    if i % total == tid then paths[#paths + 1] = line end
    i = i + 1
  end
  n = 0
end
function request()
  -- Each thread goes through its share, then round again (confirming twice
  -- is harmless) until the run is stopped (SIGINT) once every signature is
  -- confirmed: repeats only happen at the very end.
  n = n % #paths + 1
  return wrk.format("POST", paths[n], {["Content-Type"] = "application/json"}, "")
end
%(done)s
"""

READ_LUA = r"""
function init(args)
  n = 0
  count_path, page_path, every = args[1], args[2], tonumber(args[3])
end
function request()
  n = n + 1
  if n % every == 0 then return wrk.format("GET", page_path) end
  return wrk.format("GET", count_path)
end
%(done)s
"""

FLOOR_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  path = args[1]
  round = args[2] or "1"
end
function request()
  n = n + 1
  local body = string.format('{"name":"Floor %d-%d","email":"f%s.%d.%d@floor%d.example"}', tid, n, round, tid, n, tid)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
%(done)s
"""

TOKENS_SNIPPET = r"""
import sys
import sqlalchemy as sa
from civic import create_app
from civic.extensions import db
app = create_app()
with app.app_context():
    from civic.petitions.models import Signature
    from civic.petitions.services import signature_token
    rows = db.session.scalars(sa.select(Signature).where(Signature.petition_id == int(sys.argv[1]))
                              .order_by(Signature.id)).all()
    with open(sys.argv[2], "w") as f:
        for s in rows:
            f.write(f"/api/v1/petitions/signatures/{signature_token(s)}/confirm\n")
    print(len(rows))
"""

CHECK_SNIPPET = r"""
import json, sys
import sqlalchemy as sa
from civic import create_app
from civic.extensions import db
app = create_app()
with app.app_context():
    from civic.petitions.models import DistrictCount, Petition, Signature
    pid = int(sys.argv[1])
    t = Signature.__table__
    def count(*where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(t).where(t.c.petition_id == pid, *where))
    p = db.session.get(Petition, pid)
    by_district = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(DistrictCount.count), 0))
                                    .where(DistrictCount.petition_id == pid))
    print(json.dumps({
        "rows": count(),
        "validated": count(t.c.state == "validated"),
        "confirmed_countable": count(t.c.state == "validated", t.c.flagged.is_(False)),
        "counted_rows": count(t.c.counted.is_(True)),
        "dirty": count(t.c.dirty.is_(True)),
        "mail_pending": count(t.c.mail_pending.is_(True)),
        "tallied": p.signature_count,
        "tallied_by_district": int(by_district),
    }))
"""


def psql_count(dsn: str, sql: str) -> int:
    out = subprocess.run(["psql", dsn, "-tAc", sql], capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def queue_length(redis_url: str, queue: str) -> int:
    import redis

    return int(redis.Redis.from_url(redis_url).llen(f"rq:queue:{queue}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=30, help="seconds of each wrk phase")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3,
                    help="signing and reference phases alternate in this many rounds sharing --duration")
    ap.add_argument("--reads-per-page", type=int, default=4,
                    help="in the read phase, one request in N is the petition page, the others the count")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--web-workers", type=int, default=5, help="gunicorn worker processes (2 x cores + 1)")
    ap.add_argument("--worker-class", default="gthread", help="gunicorn worker class (sync, gthread)")
    ap.add_argument("--web-threads", type=int, default=4,
                    help="threads per gunicorn worker (gthread: keep-alive); at most the SQLAlchemy pool size (5)")
    ap.add_argument("--keep-alive", type=int, default=2,
                    help="gunicorn keep-alive seconds; 0 closes each connection after its response (as nginx "
                         "talks to its upstreams by default), so connections spread over every worker")
    ap.add_argument("--rq-workers", type=int, default=2)
    ap.add_argument("--worker-nice", type=int, default=10, help="nice level of RQ workers and scheduler (0: none)")
    ap.add_argument("--worker-idle", action="store_true",
                    help="run RQ workers and the scheduler under SCHED_IDLE (only when a core is otherwise idle)")
    ap.add_argument("--port", type=int, default=8731)
    ap.add_argument("--database", default="civic_bench")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/1")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="civic-bench-"))
    base = f"http://127.0.0.1:{args.port}"
    dsn = recreate_database(args.pg, args.database)
    env = app_env(tmp, database_url=dsn, redis_url=args.redis, base_url=base, queue="civic-bench", CIVIC_BENCH="1")
    subprocess.run(["redis-cli", "-u", args.redis, "flushdb"], check=True, capture_output=True)
    ids = seed(env, [{"key": "petition", "title": "Rouvrir la piscine Alfred Nakache le dimanche",
                      "response_threshold": 10000, "debate_threshold": 100000},
                     {"key": "floor", "title": "Floor", "background": "Reference endpoint rows.", "state": "draft"}])
    pid, floor_id = ids["petition"], ids["floor"]
    log(f"schema ready; petition {pid}, floor rows go to draft petition {floor_id}")

    logs = open(tmp / "stack.log", "w")  # noqa: SIM115 (closed in the finally below)
    procs = Processes(env, logs)
    procs.start(gunicorn_cmd(args.port, workers=args.web_workers, threads=args.web_threads,
                             worker_class=args.worker_class, extra=("--keep-alive", str(args.keep_alive))))
    # Background work (confirmation mails, tallies) runs at a lower CPU
    # priority than the web workers, as on a shared box one would deploy it:
    # during a surge answering people comes first, mail catches up right after.
    for _ in range(args.rq_workers):
        procs.start(worker_cmd(args.worker_nice, args.worker_idle))
    procs.start(scheduler_cmd(args.worker_nice, args.worker_idle))
    try:
        wait_http(f"{base}/healthz")
        common = {"duration": args.duration, "connections": args.connections, "threads": args.threads, "tmp": tmp}

        # Phases 1 and 4 alternate in rounds: a reference round, then a
        # signing round, then the signing round's mails are let drain. Drift
        # on a shared machine, and how the load generator's connections
        # happen to spread over the web workers, then weigh on both alike.
        pending_sql = f"SELECT count(*) FROM petition_signature WHERE petition_id = {pid} AND mail_pending"
        seg = {**common, "duration": max(5, args.duration // args.rounds)}
        # Warm-up (not measured): first requests load code, fill connection
        # pools and caches; its signatures are checked like the others.
        log("warm-up: 3 s of each endpoint")
        warm = {**common, "duration": 3}
        wrk(FLOOR_LUA, base, [f"/bench/floor/{floor_id}", "w"], **warm)
        warm_sign = wrk(SIGN_LUA, base, [f"/api/v1/petitions/{pid}/signatures", "w"], **warm)
        signs, floors = [], []
        for r in range(args.rounds):
            log(f"round {r + 1}/{args.rounds}: reference endpoint (one plain INSERT) for {seg['duration']} s")
            floors.append(wrk(FLOOR_LUA, base, [f"/bench/floor/{floor_id}", r + 1], **seg))
            log(f"  {floors[-1]}")
            log(f"round {r + 1}/{args.rounds}: signing for {seg['duration']} s")
            signs.append(wrk(SIGN_LUA, base, [f"/api/v1/petitions/{pid}/signatures", r + 1], **seg))
            log(f"  {signs[-1]}")
            deadline = time.time() + 300
            while psql_count(dsn, pending_sql) and time.time() < deadline:
                time.sleep(0.5)
        sign, floor = combine(signs), combine(floors)

        tokens = tmp / "confirm_paths.txt"
        n_tokens = int(run_py(TOKENS_SNIPPET, env, pid, tokens))
        log(f"phase 2: confirming {n_tokens} signatures")
        validated_sql = f"SELECT count(*) FROM petition_signature WHERE petition_id = {pid} AND state = 'validated'"
        confirm = wrk(CONFIRM_LUA, base, [tokens, args.threads], **{**common, "duration": 900},
                      until=lambda: psql_count(dsn, validated_sql) >= n_tokens)
        # Throughput of distinct confirmations (the last few repeats of a thread that finished are not counted).
        confirm["rps"] = round(min(confirm["ok"], n_tokens) / confirm["seconds"], 1)
        log(f"  {confirm}")

        log(f"phase 3: reads for {args.duration} s, one petition page for {args.reads_per_page - 1} count polls")
        read = wrk(READ_LUA, base, [f"/api/v1/petitions/{pid}/count", f"/petitions/{pid}", args.reads_per_page],
                   **common)
        log(f"  {read}")

        short = {**common, "duration": max(5, args.duration // 3)}
        count_only = wrk(READ_LUA, base, [f"/api/v1/petitions/{pid}/count", f"/petitions/{pid}", 10**9], **short)
        page_only = wrk(READ_LUA, base, [f"/api/v1/petitions/{pid}/count", f"/petitions/{pid}", 1], **short)
        log(f"  count endpoint alone: {count_only['rps']} req/s; petition page alone: {page_only['rps']} req/s")


        log("draining the queue and waiting for the tally")
        deadline = time.time() + 900
        state = {}
        while time.time() < deadline:
            state = json.loads(run_py(CHECK_SNIPPET, env, pid))
            if queue_length(args.redis, "civic-bench") == 0 and state["dirty"] == 0 and state["mail_pending"] == 0:
                break
            time.sleep(3)
        log(f"  {state}")
        mails = len(list((tmp / "mail").glob("*.eml"))) if (tmp / "mail").exists() else 0
    finally:
        procs.stop()
        logs.close()

    # Lost: a 202 with no row, a 200 confirmation not validated, or a countable
    # confirmed row not in the tally. Double counted: the tally above the rows.
    lost = (max(0, sign["ok"] + warm_sign["ok"] - state["rows"]) + max(0, min(confirm["ok"], n_tokens) - state["validated"])
            + max(0, state["confirmed_countable"] - state["tallied"]))
    double = max(0, state["tallied"] - state["confirmed_countable"]) + abs(state["tallied_by_district"] - state["tallied"])
    result = {
        "sign_rps": sign["rps"], "sign_p99_ms": round(sign["p99_us"] / 1000, 1),
        "confirm_rps": confirm["rps"], "read_rps": read["rps"], "floor_rps": floor["rps"],
        "sign_vs_floor": round(sign["rps"] / floor["rps"], 3) if floor["rps"] else None,
        "lost": lost, "double_counted": double,
        "signatures": state["rows"], "confirmed": state["validated"], "tallied": state["tallied"],
        "mails_written": mails, "errors": {k: v["status_errors"] + v["socket_errors"] for k, v in
                                           {"sign": sign, "confirm": confirm, "read": read, "floor": floor}.items()},
        "read_p99_ms": round(read["p99_us"] / 1000, 1), "reads_per_page": args.reads_per_page,
        "count_only_rps": count_only["rps"], "page_only_rps": page_only["rps"],
        "sign_rounds_rps": sign["rounds_rps"], "floor_rounds_rps": floor["rounds_rps"], "floor_p99_ms": round(floor["p99_us"] / 1000, 1),
        "worker_nice": args.worker_nice, "web_workers": args.web_workers, "web_threads": args.web_threads, "connections": args.connections, "cpus": os.cpu_count(),
    }
    # Background jobs the run needed, by function (from the workers' log).
    jobs = {}
    for m in re.finditer(r"Successfully completed civic\.core\.jobs\.run_job\('([\w.:]+)'",
                         (tmp / "stack.log").read_text(errors="replace")):
        name = m.group(1).rpartition(":")[2]
        jobs[name] = jobs.get(name, 0) + 1
    result["jobs"] = jobs
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
