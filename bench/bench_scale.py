"""Ten million signatures on one petition, a hundred open petitions.

Usage (from the repository root)::

    .venv/bin/python bench/bench_scale.py                       # 10,000,000 rows, ~25 minutes
    .venv/bin/python bench/bench_scale.py --signatures 500000   # while developing

On a private PostgreSQL cluster and Redis (``benchstack``: nothing shared is
touched, all removed at the end) it creates 100 open petitions, loads
``--signatures`` rows on the large one with COPY (secondary indexes and
constraints are rebuilt after the load, as a bulk import would), 10 on the
small one and 50 on each of the others, then measures:

1. **reconcile**: the nightly recount (``reconcile_counts``) over every row;
2. **tally catch-up**: a backlog of ``--backlog`` confirmed but untallied
   rows (``dirty``, by default a tenth of the signatures) folded by
   ``tally_signatures`` runs until none is left (rows/s, seconds);
3. **pages**: median latency of the large and the small petition page
   (rendered by Flask: ``?bench=rendered`` makes the shared cache step aside;
   and served as an anonymous visitor gets it), alternating in ``--rounds``;
   list pages (``/petitions/`` newest, by signatures, page 3, the API list),
   compared with the small petition page;
4. **anonymisation**: the large petition closed past its retention, then
   ``anonymise_expired_signers`` run batch after batch (at most
   ``--anonymise-seconds``): rows/s, and the last batch's time over the
   first's (does it slow down as the petition's anonymised rows pile up?).

The last line printed is one JSON object (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from benchstack import (
    PrivateCluster,
    Processes,
    app_env,
    free_port,
    gunicorn_cmd,
    logger,
    run_py,
    seed,
    start_redis,
    wait_http,
    wrk,
)

log = logger("scale")

# COPY of the signature rows, then the secondary indexes and constraints rebuilt.
LOAD_SNIPPET = r"""
import json, sys, time
import psycopg
spec = json.loads(sys.argv[1])
cols = ("petition_id, state, source, sponsor, name, email, canonical_email, email_domain, postcode, district_id, "
        "ip, notify, locale, nonce, created_at, validated_at, flagged, mail_pending, mails_sent, counted, dirty, "
        "anonymised")
with psycopg.connect(spec["dsn"], autocommit=True) as conn:
    cur = conn.cursor()
    districts = [r[0] for r in cur.execute("SELECT id FROM district ORDER BY id")] + [r"\N"]
    cons = cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'petition_signature'::regclass AND contype IN ('u', 'f', 'c')").fetchall()
    idx = cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'petition_signature' AND "
                      "indexname NOT IN (SELECT conname FROM pg_constraint "
                      "WHERE conrelid = 'petition_signature'::regclass)").fetchall()
    for name, _ in cons:
        cur.execute(f'ALTER TABLE petition_signature DROP CONSTRAINT "{name}"')
    for name, _ in idx:
        cur.execute(f'DROP INDEX "{name}"')
    started = time.time()
    nd = len(districts)
    with cur.copy(f"COPY petition_signature ({cols}) FROM STDIN") as copy:
        for pid, n, backlog in spec["rows"]:
            first_dirty = n - backlog
            for lo in range(0, n, 50000):
                lines = []
                for g in range(lo, min(n, lo + 50000)):
                    # The backlog: confirmed (validated) but not yet tallied.
                    counted, dirty = ("f", "t") if g >= first_dirty else ("t", "f")
                    mail = f"s{g}.{pid}@sig{g % 97}.example"
                    lines.append(
                        f"{pid}\tvalidated\tonline\tf\tSignataire {g}\t{mail}\t{mail}\tsig{g % 97}.example\t"
                        f"31{g % 20:03d}\t{districts[g % nd]}\t192.0.2.{g % 250}\t{'t' if g % 3 == 0 else 'f'}\t"
                        f"fr\tx{g % 1000}\t2026-01-{1 + g % 28:02d} 10:00:00\t2026-01-{1 + g % 28:02d} 11:00:00\t"
                        f"f\tf\t1\t{counted}\t{dirty}\tf\n")
                copy.write("".join(lines))
    copied = time.time() - started
    started = time.time()
    for name, definition in cons:
        cur.execute(f'ALTER TABLE petition_signature ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in idx:
        cur.execute(definition)
    cur.execute("ANALYZE")
    rows = cur.execute("SELECT count(*) FROM petition_signature").fetchone()[0]
    print(json.dumps({"copy_s": round(copied, 1), "index_s": round(time.time() - started, 1), "rows": rows}))
"""

RECONCILE_SNIPPET = r"""
import json, time
from civic import create_app
from civic.extensions import db
app = create_app()
with app.app_context():
    from civic.petitions.tally import reconcile_counts
    started = time.time()
    repaired = reconcile_counts()
    print(json.dumps({"reconcile_s": round(time.time() - started, 2), "repaired": repaired}))
"""

TALLY_SNIPPET = r"""
import json, sys, time
import sqlalchemy as sa
from civic import create_app
from civic.extensions import db
app = create_app()
with app.app_context():
    from civic.petitions.models import Petition
    from civic.petitions.tally import tally_signatures
    pid = int(sys.argv[1])
    before = db.session.get(Petition, pid).signature_count
    started, runs, folded = time.time(), 0, 0
    while True:
        # One periodic run: up to 50 batches of 5,000, committed one by one.
        n = tally_signatures()
        runs += 1
        folded += n
        if n == 0:
            break
    seconds = time.time() - started
    db.session.expire_all()
    after = db.session.get(Petition, pid).signature_count
    left = db.session.scalar(sa.text("SELECT count(*) FROM petition_signature WHERE dirty"))
    print(json.dumps({"tally_s": round(seconds, 2), "tally_rows": folded, "tally_runs": runs - 1,
                      "tally_rows_per_s": round(folded / seconds) if seconds else None,
                      "count_before": before, "count_after": after, "dirty_left": left}))
"""

ANONYMISE_SNIPPET = r"""
import json, sys, time
import sqlalchemy as sa
from datetime import timedelta
from civic import create_app
from civic.extensions import db
app = create_app()
with app.app_context():
    from civic.core.time import utcnow
    from civic.petitions.jobs import anonymise_expired_signers
    from civic.petitions.models import Petition, PetitionState
    pid, cap = int(sys.argv[1]), float(sys.argv[2])
    p = db.session.get(Petition, pid)
    p.state, p.closed_at = PetitionState.CLOSED, utcnow() - timedelta(days=400)
    db.session.commit()
    started, batches, done = time.time(), [], 0
    while time.time() - started < cap:
        t = time.time()
        n = anonymise_expired_signers()
        db.session.commit()
        if n == 0:
            break
        batches.append(time.time() - t)
        done += n
    seconds = time.time() - started
    db.session.expire_all()
    left = db.session.scalar(sa.text(f"SELECT count(*) FROM petition_signature WHERE petition_id = {pid} "
                                     "AND NOT anonymised"))
    print(json.dumps({"anonymise_s": round(seconds, 2), "anonymised_rows": done, "anonymise_left": left,
                      "anonymise_rows_per_s": round(done / seconds) if seconds else None,
                      "anonymise_batches": len(batches),
                      "first_batch_ms": round(batches[0] * 1000, 1) if batches else None,
                      "last_batch_ms": round(batches[-1] * 1000, 1) if batches else None,
                      "finished": db.session.get(Petition, pid).signers_anonymised_at is not None}))
"""

TITLES = ["Rouvrir la piscine Alfred Nakache le dimanche", "Installer des fontaines à eau au jardin Raymond VI",
          "Une piste cyclable continue sur les allées Jean-Jaurès", "Prolonger les horaires de la médiathèque José Cabanis",
          "Des toilettes publiques gratuites place du Capitole", "Planter des arbres boulevard de Strasbourg",
          "Un marché de producteurs le soir à Saint-Cyprien", "Sécuriser la traversée de la route de Narbonne",
          "Ouvrir les cours d'école le week-end", "Plus de bancs le long du canal du Midi"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signatures", type=int, default=10_000_000, help="rows on the large petition")
    ap.add_argument("--backlog", type=int, help="of which confirmed but untallied (default: a tenth)")
    ap.add_argument("--petitions", type=int, default=100, help="open petitions in all")
    ap.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs on each page")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--web-workers", type=int, default=4)
    ap.add_argument("--anonymise-seconds", type=float, default=180, help="stop anonymising after this long")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, cluster stopped)")
    args = ap.parse_args()
    backlog = args.signatures // 10 if args.backlog is None else min(args.backlog, args.signatures)
    wall = time.time()

    tmp = Path(tempfile.mkdtemp(prefix="civic-scale-"))
    # A bulk load and 10 M-row scans: more memory and WAL room than the default cluster.
    pg = PrivateCluster(tmp / "pg", settings="shared_buffers = 512MB\nmax_wal_size = 8GB\n"
                        "maintenance_work_mem = 512MB\nwork_mem = 64MB\nsynchronous_commit = off\n")
    redis_port, web_port = free_port(), free_port()
    base = f"http://127.0.0.1:{web_port}"
    logs = open(tmp / "stack.log", "w")  # noqa: SIM115 (closed in the finally below)
    env = app_env(tmp, database_url=pg.url(), redis_url=f"redis://127.0.0.1:{redis_port}/0", base_url=base,
                  queue="civic-scale")
    procs = Processes(env, logs)
    result: dict = {"signatures": args.signatures, "backlog": backlog, "petitions": args.petitions}
    try:
        pg.init().start()
        pg.psql("CREATE DATABASE civic", db="postgres")
        procs.procs.append(start_redis(redis_port, tmp, logs))
        petitions = [{"key": "large", "title": TITLES[0], "age_days": 30},
                     {"key": "small", "title": TITLES[1], "age_days": 30}]
        petitions += [{"key": f"p{i}", "title": f"{TITLES[i % len(TITLES)]} ({i})", "age_days": i % 60}
                      for i in range(3, args.petitions + 1)]
        ids = seed(env, petitions, districts=20)
        rows = [[ids["large"], args.signatures, backlog], [ids["small"], 10, 0]]
        rows += [[ids[p["key"]], 50, 0] for p in petitions[2:]]
        log(f"COPY of {args.signatures:,} signatures ({backlog:,} of them untallied) and "
            f"{10 + 50 * (len(petitions) - 2):,} on the other petitions")
        result.update(json.loads(run_py(LOAD_SNIPPET, env, json.dumps({"dsn": pg.url(), "rows": rows}))))
        result["table_mb"] = round(int(pg.psql("SELECT pg_total_relation_size('petition_signature')")) / 2**20)
        log(f"  {result}")

        log("nightly reconciliation over every row")
        result.update(json.loads(run_py(RECONCILE_SNIPPET, env)))
        log(f"  reconcile {result['reconcile_s']} s")
        log(f"tally catch-up of {backlog:,} confirmations")
        tally = json.loads(run_py(TALLY_SNIPPET, env, ids["large"]))
        result.update(tally)
        log(f"  {tally}")

        procs.start(gunicorn_cmd(web_port, workers=args.web_workers))
        wait_http(f"{base}/healthz")
        result.update(measure_pages(base, ids, args, tmp))

        log(f"anonymisation of the large petition (at most {args.anonymise_seconds:.0f} s)")
        anon = json.loads(run_py(ANONYMISE_SNIPPET, env, ids["large"], args.anonymise_seconds))
        result.update(anon)
        log(f"  {anon}")
    finally:
        procs.stop()
        pg.stop()
        logs.close()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["tally_exact"] = (result.get("count_after") == args.signatures and result.get("dirty_left") == 0)
    if result.get("first_batch_ms"):
        result["anonymise_slowdown"] = round(result["last_batch_ms"] / result["first_batch_ms"], 2)
    # Other work on the machine weighs on every figure: say how much there was.
    result["cpus"], result["loadavg_1m_end"] = os.cpu_count(), round(os.getloadavg()[0], 1)
    result["wall_s"] = round(time.time() - wall, 1)
    print(json.dumps(result))


def measure_pages(base: str, ids: dict, args, tmp: Path) -> dict:
    """Median p50 latencies (ms) of the petition pages and the list pages, in alternating rounds."""
    script = "%(done)s"
    common = {"duration": args.duration, "connections": args.connections, "threads": 2, "tmp": tmp,
              "headers": ("Connection: close",)}  # a new connection per request (see bench_petition_page.py)
    targets = {
        "large_rendered": f"/petitions/{ids['large']}?bench=rendered",
        "small_rendered": f"/petitions/{ids['small']}?bench=rendered",
        "large_served": f"/petitions/{ids['large']}",
        "small_served": f"/petitions/{ids['small']}",
        "list_newest": "/petitions/?bench=rendered",
        "list_signatures": "/petitions/?sort=signatures&bench=rendered",
        "list_page3": "/petitions/?page=3&bench=rendered",
        "api_list": "/api/v1/petitions",
    }
    for key in ("large", "small"):
        body = urllib.request.urlopen(f"{base}/petitions/{ids[key]}", timeout=30).read().decode()
        assert "<h1" in body, key
    for path in targets.values():
        wrk(script, base + path, [], **{**common, "duration": 2})  # warm-up
    runs: dict[str, list] = {k: [] for k in targets}
    for r in range(args.rounds):
        order = list(targets) if r % 2 == 0 else list(reversed(targets))
        for key in order:
            res = wrk(script, base + targets[key], [], **common)
            runs[key].append(res)
            log(f"round {r + 1} {key}: p50 {res['p50_us'] / 1000:.2f} ms, {res['rps']} req/s")
    med = {k: round(statistics.median(x["p50_us"] for x in v) / 1000, 2) for k, v in runs.items()}
    out = {f"{k}_ms": v for k, v in med.items()}
    out["page_ratio"] = round(med["large_rendered"] / med["small_rendered"], 3)
    out["page_ratio_served"] = round(med["large_served"] / med["small_served"], 3)
    for k in ("list_newest", "list_signatures", "list_page3", "api_list"):
        out[f"{k}_vs_small_page"] = round(med[k] / med["small_rendered"], 3)
    out["page_errors"] = sum(x["status_errors"] + x["socket_errors"] for v in runs.values() for x in v)
    return out


if __name__ == "__main__":
    main()
