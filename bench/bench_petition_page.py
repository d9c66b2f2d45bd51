"""A petition page with 1,000,000 signatures is served as fast as one with 10.

Usage (from the repository root)::

    .venv/bin/python bench/bench_petition_page.py
    .venv/bin/python bench/bench_petition_page.py --signatures 200000 --rounds 2

Creates a PostgreSQL database with two open petitions (10 signatures, and
1,000,000 inserted with ``generate_series``), folds them with the nightly
reconciliation (which recounts every row), starts gunicorn, then alternates
wrk runs on the two pages (``--rounds`` times, to spread the machine's noise
over both) and compares median latencies. The page reads the tallied counters
and the per-district counts, never the signature rows, so the ratio should
stay near 1.

Each page is measured twice per round: *rendered* by Flask (a query string
makes the shared page cache step aside, so every request runs the view and
its queries) and *served* as an anonymous visitor gets it (replayed by the
shared cache between changes). The target is on the rendered path, where the
signature volume could show; the served figures show what a surge meets. The
last line printed is one JSON object with ``median_ms_small``,
``median_ms_large``, ``ratio`` (rendered, large / small, target <= 1.2),
``ratio_served`` and throughputs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv" / "bin"

SETUP = r"""
import json, sys, time
import sqlalchemy as sa
from civic import create_app
from civic.extensions import db
app = create_app()
big = int(sys.argv[1])
with app.app_context():
    db.drop_all()
    db.create_all()
    import secrets
    from datetime import timedelta
    from civic.accounts.models import District, DistrictPostcode
    from civic.core.time import utcnow
    from civic.petitions.models import Petition, PetitionState
    from civic.petitions.tally import reconcile_counts
    for i in range(20):
        db.session.add(District(code=f"T{i + 1:02d}", name=f"Quartier {i + 1}",
                                postcodes=[DistrictPostcode(postcode=f"31{i:03d}")]))
    now = utcnow()
    made = {}
    for key, title in (("small", "Installer des fontaines à eau au jardin Raymond VI"),
                       ("large", "Rouvrir la piscine Alfred Nakache le dimanche")):
        p = Petition(title=title, background="Même texte, seuls les volumes diffèrent.", state=PetitionState.OPEN,
                     opened_at=now - timedelta(days=30), closes_at=now + timedelta(days=150),
                     response_threshold=10000, debate_threshold=2000000, sponsor_token=secrets.token_urlsafe(18))
        db.session.add(p)
        db.session.flush()
        made[key] = p.id
    db.session.commit()
    district_ids = [d for (d,) in db.session.execute(sa.text("SELECT id FROM district ORDER BY id"))]
    started = time.time()
    for key, n in (("small", 10), ("large", big)):
        # Rows as the tally leaves them (validated, counted, not dirty); districts spread, some unknown.
        db.session.execute(sa.text(
            "INSERT INTO petition_signature (petition_id, state, source, sponsor, name, email, canonical_email, "
            "email_domain, postcode, district_id, ip, notify, locale, nonce, created_at, validated_at, flagged, "
            "mail_pending, mails_sent, counted, dirty, anonymised) "
            "SELECT :pid, 'validated', 'online', false, 'Signataire ' || g, 'b' || g || '.' || :pid || '@bench.example', "
            "'b' || g || '.' || :pid || '@bench.example', 'bench.example', '31000', "
            "(CAST(:ids AS integer[]))[1 + (g % (:nd + 1))], '192.0.2.1', (g % 3 = 0), 'fr', 'x', now(), now(), false, false, 1, "
            "true, false, false FROM generate_series(1, :n) AS g").bindparams(
                sa.bindparam("ids", value=district_ids + [None], type_=sa.ARRAY(sa.Integer))),
            {"pid": made[key], "nd": len(district_ids), "n": n})
        db.session.commit()
    inserted = time.time() - started
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    started = time.time()
    repaired = reconcile_counts()
    counts = {k: db.session.get(Petition, v).signature_count for k, v in made.items()}
    print(json.dumps({"ids": made, "counts": counts, "insert_s": round(inserted, 1),
                      "reconcile_s": round(time.time() - started, 1), "repaired": repaired}))
"""

# A query string other than tracking parameters makes the shared cache pass the request to Flask.
PATHS = {"rendered": "?bench=rendered", "served": ""}

DONE_LUA = r"""
function done(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
"""


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def wrk(url: str, duration: int, connections: int, script: Path) -> dict:
    # A new connection per request: with keep-alive, a gunicorn worker that
    # happens to take two of wrk's connections for a whole run doubles that
    # run's latency (one GIL), and which page suffers was down to luck.
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
                          "-H", "Connection: close", "-s", str(script), url], capture_output=True, text=True)
    m = re.search(r"^WRKJSON (.*)$", out.stdout, re.M)
    if not m:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit("wrk failed")
    data = json.loads(m.group(1))
    data["rps"] = round((data["requests"] - data["status_errors"]) / (data["duration_us"] / 1e6), 1)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signatures", type=int, default=1_000_000)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs on each page")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--port", type=int, default=8733)
    ap.add_argument("--database", default="civic_bench_page")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/1")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="civic-bench-page-"))
    base = f"http://127.0.0.1:{args.port}"
    env = dict(os.environ, DATABASE_URL=f"{args.pg}/{args.database}", REDIS_URL=args.redis,
               SECRET_KEY="bench-secret-key-not-for-production", CIVIC_ENV="production",
               CIVIC_INSTANCE=str(tmp / "instance"), BASE_URL=base, RQ_QUEUE="civic-bench-page")
    for sql in (f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)", f"CREATE DATABASE {args.database}"):
        subprocess.run(["psql", args.pg + "/postgres", "-qc", sql], check=True, capture_output=True)
    log(f"inserting {args.signatures:,} signatures and reconciling")
    out = subprocess.run([str(VENV / "python"), "-c", SETUP, str(args.signatures)], env=env, cwd=REPO,
                         capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit("setup failed")
    setup = json.loads(out.stdout.strip().splitlines()[-1])
    log(f"  {setup}")
    script = tmp / "done.lua"
    script.write_text(DONE_LUA)
    logs = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen([str(VENV / "gunicorn"), "-w", "4", "-k", "gthread", "--threads", "4",
                             "-b", f"127.0.0.1:{args.port}", "--log-level", "warning", "wsgi:app"],
                            env=env, cwd=REPO, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True)
    results = {path: {"small": [], "large": []} for path in PATHS}
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except Exception:
                time.sleep(0.5)
        pages = {k: f"{base}/petitions/{pid}" for k, pid in setup["ids"].items()}
        for key, url in pages.items():
            body = urllib.request.urlopen(url, timeout=10).read().decode()
            assert f"{setup['counts'][key]:,}".replace(",", "") in re.sub(r"[\s,\u202f\xa0]", "", body), key
        for suffix in PATHS.values():
            for url in pages.values():
                wrk(url + suffix, 2, args.connections, script)  # warm-up
        for r in range(args.rounds):
            order = ("small", "large") if r % 2 == 0 else ("large", "small")
            for path, suffix in PATHS.items():
                for key in order:
                    res = wrk(pages[key] + suffix, args.duration, args.connections, script)
                    results[path][key].append(res)
                    log(f"round {r + 1} {path} {key}: p50 {res['p50_us'] / 1000:.2f} ms, {res['rps']} req/s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        logs.close()
    summary = {}
    for path, by_page in results.items():
        med = {k: statistics.median(r["p50_us"] for r in v) / 1000 for k, v in by_page.items()}
        rps = {k: round(statistics.median(r["rps"] for r in v), 1) for k, v in by_page.items()}
        summary[path] = {"small": round(med["small"], 2), "large": round(med["large"], 2),
                         "ratio": round(med["large"] / med["small"], 3), "rps": rps}
    rendered, served = summary["rendered"], summary["served"]
    print(json.dumps({"median_ms_small": rendered["small"], "median_ms_large": rendered["large"],
                      "ratio": rendered["ratio"], "rps_small": rendered["rps"]["small"],
                      "rps_large": rendered["rps"]["large"], "served_median_ms_small": served["small"],
                      "served_median_ms_large": served["large"], "ratio_served": served["ratio"],
                      "served_rps_small": served["rps"]["small"], "served_rps_large": served["rps"]["large"],
                      "signatures_small": setup["counts"]["small"], "signatures_large": setup["counts"]["large"],
                      "rounds": args.rounds, "connections": args.connections,
                      "errors": sum(r["status_errors"] for by_page in results.values() for v in by_page.values()
                                    for r in v)}))

if __name__ == "__main__":
    main()
