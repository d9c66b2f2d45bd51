"""Two web nodes behind HAProxy against one node alone, on a private stack.

Usage (from the repository root)::

    .venv/bin/python bench/bench_scaleout.py                 # ~5 minutes
    .venv/bin/python bench/bench_scaleout.py --duration 5 --rounds 1

Starts, on free loopback ports, in a temporary directory removed at the end
(``benchstack``; the machine's PostgreSQL and Redis are not touched):

- a PostgreSQL primary and a streaming replica of it (``pg_basebackup -R``),
  both throwaway clusters; the app gets ``DATABASE_URL`` (primary) and
  ``DATABASE_REPLICA_URL`` (replica: anonymous reads go there once the
  replica routing is merged, the setting is ignored before);
- a private ``redis-server``, two RQ workers and the scheduler (``nice 10``);
- two gunicorn nodes (``--web-workers`` ``gthread`` workers of 4 threads
  each), and HAProxy (Debian's ``haproxy``, its configuration written to the
  temporary directory, run in the foreground as a process of the bench) with
  two frontends: one balancing over both nodes (``leastconn``, health checks
  on ``/healthz``), one in front of node A alone.

Three targets are driven with wrk in alternating rounds: ``one`` (node A
directly, the reference), ``lb1`` (HAProxy with node A alone: the balancer's
own cost) and ``two`` (HAProxy over both nodes):

1. **reads**: anonymous visitors cycling over the petition page, the list
   pages (newest, by signatures) and the API reads (list, petition, count);
2. **signing**: the HTML form (``POST /petitions/<id>/sign`` with the session
   cookie and CSRF token of its page, a distinct address per request), each
   target its own petition; the round's mails drain before the next run;
3. **confirmation**: every signature confirmed through the HTML form of its
   mailed link (``POST /petitions/signature/<token>/confirm``), until the
   database holds them all validated.

Then it waits for the tally and checks, per petition, that the tallied count
equals the validated rows. The last line printed is one JSON object with
``read_rps``, ``sign_rps`` and ``confirm_rps`` per target and the ratios
``two / one`` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from benchstack import (
    PrivateCluster,
    Processes,
    app_env,
    combine,
    free_port,
    gunicorn_cmd,
    logger,
    run_py,
    scheduler_cmd,
    seed,
    start_redis,
    wait_http,
    worker_cmd,
    wrk,
)

log = logger("scaleout")
QUEUE = "civic-scaleout"
TARGETS = ("one", "lb1", "two")

READ_LUA = r"""
function init(args)
  n = 0
  paths = args
end
function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end
%(done)s
"""

# The HTML form: the session cookie and CSRF token come from one GET of the
# sign page (the token belongs to the session, not to one form).
SIGN_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  path, cookie, csrf, round = args[1], args[2], args[3], args[4]
  codes = {"31000", "31100", "31200", "31300", "31400", "31500", "31700"}
end
function request()
  n = n + 1
  local body = string.format(
    "csrf_token=%s&name=Signataire+%d-%d&email=r%s.%d.%d%%40quartier%d.example&postcode=%s&attest=y%s",
    csrf, tid, n, round, tid, n, n % 40, codes[(n % 7) + 1], (n % 3 == 0) and "&notify=y" or "")
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["Cookie"] = cookie}, body)
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
  cookie, csrf = args[3], args[4]
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
  -- is a harmless 302) until the run is stopped once every row is validated.
  n = n % #paths + 1
  return wrk.format("POST", paths[n], {["Content-Type"] = "application/x-www-form-urlencoded",
                                       ["Cookie"] = cookie}, "csrf_token=" .. csrf)
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
            f.write(f"/petitions/signature/{signature_token(s)}/confirm\n")
    print(len(rows))
"""

HAPROXY_CFG = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    option forwardfor

frontend two
    bind 127.0.0.1:{two}
    default_backend both

frontend lb1
    bind 127.0.0.1:{lb1}
    default_backend only_a

backend both
    balance leastconn
    option httpchk GET /healthz
    server a 127.0.0.1:{a} check inter 2s
    server b 127.0.0.1:{b} check inter 2s

backend only_a
    option httpchk GET /healthz
    server a 127.0.0.1:{a} check inter 2s
"""

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def form_session(port: int, path: str) -> tuple[str, str]:
    """(Cookie header, CSRF token) from one GET of a form page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", path)
    resp = conn.getresponse()
    page = resp.read().decode()
    cookies = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
    m = CSRF.search(page)
    conn.close()
    if resp.status != 200 or not m:
        raise SystemExit(f"no form at {path} ({resp.status})")
    return "; ".join(cookies), m.group(1)


def counts(pg: PrivateCluster, pid: int) -> dict:
    row = pg.psql(
        "SELECT count(*), count(*) FILTER (WHERE state = 'validated'),"
        " count(*) FILTER (WHERE state = 'validated' AND NOT flagged), count(*) FILTER (WHERE dirty),"
        " count(*) FILTER (WHERE mail_pending),"
        f" (SELECT signature_count FROM petition WHERE id = {pid}),"
        f" (SELECT coalesce(sum(count), 0) FROM petition_district_count WHERE petition_id = {pid})"
        f" FROM petition_signature WHERE petition_id = {pid}")
    keys = ["rows", "validated", "countable", "dirty", "mail_pending", "tallied", "tallied_by_district"]
    return dict(zip(keys, map(int, row.split("|")), strict=True))


def replica_state(primary: PrivateCluster, replica: PrivateCluster) -> dict:
    lag = primary.psql("SELECT coalesce(max(pg_wal_lsn_diff(sent_lsn, replay_lsn)), -1), count(*) "
                       "FROM pg_stat_replication WHERE state = 'streaming'", db="postgres")
    lag_bytes, streaming = lag.split("|")
    xacts = replica.psql("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'civic'",
                         db="postgres")
    return {"streaming": int(streaming), "replay_lag_bytes": int(lag_bytes), "replica_xacts": int(xacts or 0),
            "in_recovery": replica.psql("SELECT pg_is_in_recovery()") == "t"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of each phase over the targets")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--web-workers", type=int, default=3, help="gunicorn workers per node")
    ap.add_argument("--rq-workers", type=int, default=2)
    ap.add_argument("--no-replica", action="store_true", help="primary only (no DATABASE_REPLICA_URL)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = ap.parse_args()
    if not shutil.which("haproxy") or not shutil.which("wrk"):
        raise SystemExit("needs haproxy and wrk: apt-get install -y haproxy wrk")
    wall = time.time()

    tmp = Path(tempfile.mkdtemp(prefix="civic-scaleout-"))
    primary = PrivateCluster(tmp / "pg-primary")
    replica = None
    redis_port, port_a, port_b, port_two, port_lb1 = (free_port() for _ in range(5))
    ports = {"one": port_a, "lb1": port_lb1, "two": port_two}
    logs = open(tmp / "stack.log", "w")  # noqa: SIM115 (closed in the finally below)
    procs = Processes({}, logs)
    result: dict = {}
    try:
        primary.init().start()
        primary.psql("CREATE DATABASE civic", db="postgres")
        extra = {}
        if not args.no_replica:
            replica = primary.replica(tmp / "pg-replica").start()
            extra["DATABASE_REPLICA_URL"] = replica.url()
        env = app_env(tmp, database_url=primary.url(), redis_url=f"redis://127.0.0.1:{redis_port}/0",
                      base_url=f"http://127.0.0.1:{port_two}", queue=QUEUE, **extra)
        procs.env = env
        procs.procs.append(start_redis(redis_port, tmp, logs))
        petitions = [{"key": t, "title": f"Rouvrir la piscine Alfred Nakache le dimanche ({t})", "age_days": 3}
                     for t in TARGETS]
        petitions += [{"key": f"p{i}", "title": f"Des bancs le long du canal du Midi, tronçon {i}", "age_days": i}
                      for i in range(20)]
        ids = seed(env, petitions)
        log(f"private stack in {tmp}: primary :{primary.port}"
            + (f", replica :{replica.port}" if replica else "") + f", Redis :{redis_port}")

        for port in (port_a, port_b):
            procs.start(gunicorn_cmd(port, workers=args.web_workers))
        for _ in range(args.rq_workers):
            procs.start(worker_cmd(10))
        procs.start(scheduler_cmd(10))
        cfg = tmp / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(two=port_two, lb1=port_lb1, a=port_a, b=port_b))
        procs.start(["haproxy", "-db", "-f", str(cfg)])
        for port in (port_a, port_b, port_two, port_lb1):
            wait_http(f"http://127.0.0.1:{port}/healthz")
        result.update(run_phases(args, env, ids, ports, primary, replica, tmp))
    finally:
        procs.stop()
        if replica:
            replica.stop()
        primary.stop()
        logs.close()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result.update({"web_workers_per_node": args.web_workers, "connections": args.connections,
                   "cpus": os.cpu_count(), "loadavg_1m_end": round(os.getloadavg()[0], 1), "wall_s": round(time.time() - wall, 1)})
    print(json.dumps(result))


def run_phases(args, env: dict, ids: dict, ports: dict, primary: PrivateCluster, replica, tmp: Path) -> dict:
    common = {"duration": args.duration, "connections": args.connections, "threads": args.threads, "tmp": tmp}
    url = {t: f"http://127.0.0.1:{p}" for t, p in ports.items()}
    pid = ids["one"]
    reads = [f"/petitions/{pid}", "/petitions/", "/petitions/?sort=signatures", "/api/v1/petitions",
             f"/api/v1/petitions/{pid}", f"/api/v1/petitions/{pid}/count"]
    sessions = {t: form_session(ports[t], f"/petitions/{ids[t]}/sign") for t in TARGETS}

    log("warm-up: 3 s of reads on each target")
    for t in TARGETS:
        wrk(READ_LUA, url[t], reads, **{**common, "duration": 3})
    rep_before = replica_state(primary, replica) if replica else None
    read_runs: dict[str, list] = {t: [] for t in TARGETS}
    for r in range(args.rounds):
        for t in (TARGETS if r % 2 == 0 else TARGETS[::-1]):
            read_runs[t].append(wrk(READ_LUA, url[t], reads, **common))
            log(f"round {r + 1} reads {t}: {read_runs[t][-1]['rps']} req/s")
    rep_after = replica_state(primary, replica) if replica else None

    sign_runs: dict[str, list] = {t: [] for t in TARGETS}
    for r in range(args.rounds):
        for t in (TARGETS if r % 2 == 0 else TARGETS[::-1]):
            cookie, csrf = sessions[t]
            sign_runs[t].append(wrk(SIGN_LUA, url[t], [f"/petitions/{ids[t]}/sign", cookie, csrf, f"{r}{t}"],
                                    **common))
            log(f"round {r + 1} signing {t}: {sign_runs[t][-1]['rps']} req/s")
            # The run's confirmation mails drain before the next run: each run starts from a quiet queue.
            deadline = time.time() + 300
            while counts(primary, ids[t])["mail_pending"] and time.time() < deadline:
                time.sleep(0.5)

    confirm = {}
    for t in TARGETS:
        paths = tmp / f"confirm-{t}.txt"
        n = int(run_py(TOKENS_SNIPPET, env, ids[t], paths))
        cookie, csrf = sessions[t]
        res = wrk(CONFIRM_LUA, url[t], [paths, args.threads, cookie, csrf], **{**common, "duration": 900},
                  until=lambda t=t, n=n: counts(primary, ids[t])["validated"] >= n)
        res["rps"] = round(min(res["ok"], n) / res["seconds"], 1)
        confirm[t] = res
        log(f"confirming {n} on {t}: {res['rps']} req/s")

    log("waiting for the tally")
    states = {}
    deadline = time.time() + 600
    for t in TARGETS:
        while True:
            states[t] = counts(primary, ids[t])
            s = states[t]
            if (s["dirty"] == 0 and s["mail_pending"] == 0 and s["tallied"] == s["countable"]) \
                    or time.time() > deadline:
                break
            time.sleep(1)
    read = {t: combine(v) for t, v in read_runs.items()}
    sign = {t: combine(v) for t, v in sign_runs.items()}
    lost = sum(max(0, sign[t]["ok"] - states[t]["rows"]) + max(0, states[t]["rows"] - states[t]["validated"])
               + max(0, states[t]["countable"] - states[t]["tallied"]) for t in TARGETS)
    double = sum(max(0, states[t]["tallied"] - states[t]["countable"])
                 + abs(states[t]["tallied_by_district"] - states[t]["tallied"]) for t in TARGETS)

    def ratio(a, b):
        return round(a / b, 3) if b else None

    out = {
        "read_rps": {t: read[t]["rps"] for t in TARGETS},
        "sign_rps": {t: sign[t]["rps"] for t in TARGETS},
        "confirm_rps": {t: confirm[t]["rps"] for t in TARGETS},
        "read_ratio": ratio(read["two"]["rps"], read["one"]["rps"]),
        "sign_ratio": ratio(sign["two"]["rps"], sign["one"]["rps"]),
        "confirm_ratio": ratio(confirm["two"]["rps"], confirm["one"]["rps"]),
        "lb_overhead_read": ratio(read["lb1"]["rps"], read["one"]["rps"]),
        "lb_overhead_sign": ratio(sign["lb1"]["rps"], sign["one"]["rps"]),
        "read_p99_ms": {t: round(read[t]["p99_us"] / 1000, 1) for t in TARGETS},
        "sign_p99_ms": {t: round(sign[t]["p99_us"] / 1000, 1) for t in TARGETS},
        "read_rounds_rps": {t: read[t]["rounds_rps"] for t in TARGETS},
        "sign_rounds_rps": {t: sign[t]["rounds_rps"] for t in TARGETS},
        "signatures": {t: states[t]["rows"] for t in TARGETS},
        "tallied": {t: states[t]["tallied"] for t in TARGETS},
        "lost": lost, "double_counted": double,
        "errors": {k: sum(v[t]["status_errors"] + v[t]["socket_errors"] for t in TARGETS)
                   for k, v in (("read", read), ("sign", sign), ("confirm", confirm))},
    }
    if replica:
        out["replica"] = {**rep_after, "xacts_during_reads": rep_after["replica_xacts"] - rep_before["replica_xacts"]}
    return out


if __name__ == "__main__":
    main()
