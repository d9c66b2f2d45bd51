"""Open data: daily series and nightly dumps at scale, on PostgreSQL.

Usage (from the repository root)::

    .venv/bin/python bench/bench_opendata.py                 # 1,000,000 signatures, 100,000 proposals
    .venv/bin/python bench/bench_opendata.py --signatures 200000 --proposals 20000

The database named by ``--database`` (default ``$BENCH_DATABASE_URL``, else
``civic_bench_opendata`` on 127.0.0.1) is WIPED: its tables are dropped and
created again for each scale. It must exist (``createdb``).

Two scales run one after the other, each in a fresh process: the full one and
a tenth of it (the reference). Each loads, with COPY, one open petition with
``--signatures`` validated signatures spread over 90 days and 20 districts,
and one published process with ``--proposals`` proposals (one support each);
then, timed:

1. ``backfill``: every daily series recomputed from its source rows for every
   day (``flask civic backfill-series``);
2. ``dumps``: today's gzip CSV and JSON dump of every registered dataset
   (``flask civic build-dumps --force`` on all of them), each timed;
3. ``floor``: ``COPY (SELECT …) TO STDOUT`` of the proposals' own columns,
   gzipped in the same process: what reading and compressing the rows costs
   without any of the application's work, to compare ``proposals`` with.

Memory: the peak resident memory of steps 1–2 above the process's size just
before them (Linux ``VmHWM`` after resetting it through
``/proc/self/clear_refs``). Flat memory means ``rss_ratio`` (full / tenth)
stays near 1 while the rows grow tenfold. Last line, one JSON object::

    {"signatures": …, "proposals": …, "backfill_s": …, "dumps_s": …, "dump_s": {…}, "rss_growth_mb": …,
     "tenth": {…}, "rss_ratio": …, "time_ratio": …, "floor_s": …, "proposals_vs_floor": …}
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/civic_bench_opendata"
DISTRICTS = 20
DAYS = 90


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM (the peak resident size) to the current size


def _load(db, signatures: int, proposals: int) -> dict:
    """One open petition and one published process, their rows by COPY."""
    from civic.accounts.models import District, DistrictPostcode
    from civic.core.time import utcnow
    from civic.petitions.models import Petition, PetitionState
    from civic.processes.models import Process

    now = utcnow().replace(microsecond=0)
    start = now - timedelta(days=DAYS)
    for i in range(DISTRICTS):
        db.session.add(District(code=f"T{i + 1:02d}", name=f"Quartier {i + 1}",
                                postcodes=[DistrictPostcode(postcode=f"31{i:03d}")]))
    petition = Petition(title="Rouvrir la piscine le dimanche", background="Parce que.", state=PetitionState.OPEN,
                        sponsor_token="bench", opened_at=start, closes_at=now + timedelta(days=30),
                        signature_count=signatures)
    process = Process(title="Plan vélo", summary="Proposez.", published_at=start)
    db.session.add_all([petition, process])
    db.session.commit()
    district_ids = [d for (d,) in db.session.execute(db.select(District.id).order_by(District.id))] + [None]
    step = DAYS * 86400 / max(signatures, 1)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy("COPY petition_signature (petition_id, state, source, sponsor, notify, locale, created_at, "
                      "validated_at, flagged, mail_pending, mails_sent, counted, dirty, anonymised, district_id) "
                      "FROM STDIN") as copy:
            for i in range(signatures):
                at = start + timedelta(seconds=int(i * step))
                copy.write_row((petition.id, "validated", "online", False, False, "fr", at, at, False, False, 1,
                                True, False, False, district_ids[i % len(district_ids)]))
        cur.execute("INSERT INTO petition_district_count (petition_id, district_id, count) "
                    "SELECT petition_id, district_id, count(*) FROM petition_signature GROUP BY 1, 2")
        step = DAYS * 86400 / max(proposals, 1)
        with cur.copy("COPY proposal (process_id, title, body, body_html, search_text, state, state_changed_at, "
                      "support_count, comment_count, hidden, created_at, district_id) FROM STDIN") as copy:
            for i in range(proposals):
                at = start + timedelta(seconds=int(i * step))
                copy.write_row((process.id, f"Proposition {i} : une piste cyclable", "Texte.", "<p>Texte.</p>",
                                "texte", "published", at, 1, 0, False, at, district_ids[i % len(district_ids)]))
        cur.execute("INSERT INTO proposal_support (proposal_id, process_id, notify, created_at) "
                    "SELECT id, process_id, false, created_at + interval '1 hour' FROM proposal")
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return {"petition_id": petition.id}


def _floor(db) -> float:
    """COPY the proposals' columns out and gzip them: the cost without the app."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        t = time.perf_counter()
        with open(os.devnull, "wb") as sink, gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, compresslevel=6) as gz, \
                cur.copy("COPY (SELECT id, process_id, title, district_id, category, state, support_count, "
                         "comment_count, created_at, answer_due_at, answered_at, answer FROM proposal "
                         "ORDER BY created_at DESC, id DESC) TO STDOUT WITH CSV") as copy:
            for chunk in copy:
                gz.write(chunk)
        return time.perf_counter() - t
    finally:
        raw.rollback()
        raw.close()


def child(args) -> None:
    os.environ.setdefault("CIVIC_INSTANCE", tempfile.mkdtemp(prefix="civic-bench-od-"))
    from civic import create_app
    from civic.extensions import db

    out_dir = tempfile.mkdtemp(prefix="civic-bench-dumps-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "REDIS_URL": None, "MAIL_URL": None,
                      "OPENDATA_DIR": out_dir, "SHARED_CACHE": False})
    with app.app_context():
        from civic.core import datasets, dumps
        from civic.core.series import all_series, backfill

        db.drop_all()
        db.create_all()
        t = time.perf_counter()
        _load(db, args.signatures, args.proposals)
        load_s = time.perf_counter() - t
        db.session.remove()
        gc.collect()
        _reset_peak()
        before = _status_kb("VmRSS")
        t = time.perf_counter()
        daily_rows = sum(backfill(s) for s in all_series())
        backfill_s = time.perf_counter() - t
        dump_s, rows, size = {}, {}, 0
        t = time.perf_counter()
        for ds in datasets.datasets():
            t1 = time.perf_counter()
            pointer = dumps.build_dump(ds)
            db.session.rollback()
            dump_s[ds.name] = round(time.perf_counter() - t1, 3)
            rows[ds.name] = pointer["rows"]
            size += sum(f["bytes"] for f in pointer["files"].values())
        dumps_s = time.perf_counter() - t
        peak = _status_kb("VmHWM")
        floor_s = _floor(db)
    print(json.dumps({"signatures": args.signatures, "proposals": args.proposals, "load_s": round(load_s, 2),
                      "backfill_s": round(backfill_s, 3), "daily_rows": daily_rows, "dumps_s": round(dumps_s, 3),
                      "dump_s": dump_s, "rows": rows, "dump_mb": round(size / 2**20, 2),
                      "rss_before_mb": round(before / 1024, 1), "rss_growth_mb": round((peak - before) / 1024, 1),
                      "floor_s": round(floor_s, 3)}))


def run_scale(args, signatures: int, proposals: int) -> dict:
    cmd = [sys.executable, __file__, "--child", "--database", args.database,
           "--signatures", str(signatures), "--proposals", str(proposals)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"scale {signatures}/{proposals} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database.startswith("postgresql://"):
        args.database = "postgresql+psycopg://" + args.database[len("postgresql://"):]
    if args.child:
        return child(args)
    tenth = run_scale(args, args.signatures // 10, args.proposals // 10)
    full = run_scale(args, args.signatures, args.proposals)
    result = dict(full)
    result["tenth"] = tenth
    result["rss_ratio"] = round(full["rss_growth_mb"] / max(tenth["rss_growth_mb"], 0.1), 2)
    result["time_ratio"] = round((full["backfill_s"] + full["dumps_s"]) / (tenth["backfill_s"] + tenth["dumps_s"]), 2)
    result["proposals_vs_floor"] = round(full["dump_s"].get("proposals", 0) / full["floor_s"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
