"""Benchmark Civic's maximin selection (civic/assemblies/selection.py) against
the legacy greedy draw (same run) and the Sortition Foundation's
``sortition-algorithms`` 0.12.15 maximin.

Usage (from the repository root)::

    .venv/bin/python bench/bench_assemblies.py                  # everything, ~15-30 minutes
    .venv/bin/python bench/bench_assemblies.py --only synthetic_200 --only example_small_20
    .venv/bin/python bench/bench_assemblies.py --no-library     # Civic and legacy only

Instances:

- ``synthetic_200`` / ``synthetic_2000`` / ``synthetic_10000``: pools of 200,
  2,000 and 10,000 volunteers with 4, 5 and 6 categories of skewed shares
  (the young, people without a diploma, social housing tenants are rare in
  the pool and required on the panel), panels of 20, 100 and 150, generated
  from a fixed seed;
- ``example_small_20`` (200 volunteers, panel of 20) and
  ``example_large_200`` (2,000, panel of 200): the public examples of
  Flanigan et al. (*Nature* 596, 2021; pgoelz/citizensassemblies-replication,
  GPL-3.0, copied in ``bench/data/citizensassemblies``), whose published
  LEXIMIN minimum probability is 10 %.

For each: Civic's maximin (wall and CPU seconds, minimum probability, gap of
the column generation), the legacy greedy (its minimum probability is
estimated from ``--legacy-runs`` draws, so it is an optimistic estimate for
the rarest people), and the library's maximin in its own virtualenv
``bench/.venv-sortition`` (created on first use, git-ignored, never in
requirements.txt) on the instances of ``--library-on`` (default: the 200 and
2,000 pools and the small example), with ``--library-timeout``.

The last line printed is one JSON object: per instance the figures, the
ratio of Civic's minimum probability to the legacy one
(``min_probability_vs_legacy``), the library's time over Civic's
(``speedup_vs_library``) and whether both maximin optima agree within 1e-4;
then ``target_2000_under_60s``. Exit status 0 when every maximin optimum
that could be checked agrees and the 2,000 pool took under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LIBRARY = "sortition-algorithms==0.12.15"
VENV = REPO / "bench" / ".venv-sortition"
DATA = Path(os.environ.get("CIVIC_ASSEMBLIES_DATA") or REPO / "bench" / "data" / "citizensassemblies")
AGREE = 1e-4

# (category, [(value, share in the pool, share wanted on the panel)]): the
# volunteers who answer an invitation are older, more educated, more often
# owners than the population the panel must mirror.
CATEGORIES = [
    ("gender", [("female", 0.62, 0.50), ("male", 0.36, 0.48), ("other", 0.02, 0.02)]),
    ("age", [("16-29", 0.07, 0.20), ("30-44", 0.23, 0.25), ("45-64", 0.40, 0.32), ("65+", 0.30, 0.23)]),
    ("education", [("none", 0.05, 0.18), ("secondary", 0.30, 0.40), ("higher", 0.65, 0.42)]),
    ("district", [("centre", 0.34, 0.20), ("north", 0.12, 0.20), ("east", 0.16, 0.20),
                  ("south", 0.20, 0.20), ("west", 0.18, 0.20)]),
    ("housing", [("owner", 0.58, 0.45), ("tenant", 0.36, 0.40), ("social", 0.06, 0.15)]),
    ("work", [("employed", 0.55, 0.50), ("unemployed", 0.04, 0.08), ("student", 0.06, 0.10),
              ("retired", 0.35, 0.32)]),
]
SYNTHETIC = {"synthetic_200": (200, 20, 4), "synthetic_2000": (2000, 100, 5), "synthetic_10000": (10000, 150, 6)}
EXAMPLES = {"example_small_20": 20, "example_large_200": 200}

# Runs inside the library's venv: reads {"categories", "respondents", "size"}
# (CSV texts) on stdin, prints {"seconds", "cpu_seconds", "min_probability", ...}.
LIBRARY_SCRIPT = r"""
import json, logging, sys, time
logging.disable(logging.CRITICAL)
from sortition_algorithms.adapters import CSVStringDataSource, SelectionData
from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
from sortition_algorithms.settings import Settings

job = json.load(sys.stdin)
data = SelectionData(CSVStringDataSource(job["categories"], job["respondents"]))
features, _ = data.load_features(job["size"])
people, _ = data.load_people(Settings(id_column="id", columns_to_keep=[]), features)
start, cpu = time.perf_counter(), time.process_time()
committees, probs, _ = find_distribution_maximin(features, people, job["size"], [])
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
marginal = {pid: 0.0 for pid in people}
for committee, p in zip(committees, probs):
    for pid in committee:
        marginal[pid] += p
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "min_probability": min(marginal.values()),
                  "sum": sum(marginal.values()), "panels": len(committees)}))
"""


def synthetic(n: int, k: int, n_categories: int, seed: int = 1) -> tuple[str, str]:
    """Categories and respondents CSV texts: quotas around the wanted shares
    (one below, two above), people drawn with the pool's shares."""
    rng = random.Random(seed)
    cats = CATEGORIES[:n_categories]
    lines = ["category,feature,min,max"]
    for c, values in cats:
        for v, _, want in values:
            lines.append(f"{c},{v},{max(0, int(want * k) - 1)},{int(want * k) + 2}")
    rows = ["id," + ",".join(c for c, _ in cats)]
    for i in range(n):
        rows.append(f"p{i}," + ",".join(rng.choices([v for v, *_ in values], [w for _, w, _ in values])[0]
                                          for _, values in cats))
    return "\n".join(lines) + "\n", "\n".join(rows) + "\n"


def example(name: str) -> tuple[str, str]:
    """The replication repository's files; its respondents have no id column,
    so rows are numbered from 0 (our default too)."""
    folder = DATA / name
    if not (folder / "respondents.csv").is_file():
        raise SystemExit(f"{folder} not found: set CIVIC_ASSEMBLIES_DATA to a folder holding "
                         f"{name}/categories.csv and {name}/respondents.csv (see bench/README.md)")
    cats = (folder / "categories.csv").read_text(encoding="utf-8")
    lines = (folder / "respondents.csv").read_text(encoding="utf-8").splitlines()
    resp = "id," + lines[0] + "\n" + "\n".join(f"{i},{line}" for i, line in enumerate(lines[1:])) + "\n"
    return cats, resp


def venv_python() -> Path:
    """Python of the library's venv, created on first use."""
    python = VENV / "bin" / "python"
    if python.exists():
        check = [str(python), "-c", "import importlib.metadata as m; print(m.version('sortition-algorithms'))"]
        found = subprocess.run(check, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip() == LIBRARY.split("==")[1]:
            return python
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", LIBRARY], check=True)
    return python


def run_library(python: Path, cats: str, resp: str, size: int, timeout: float) -> dict:
    """The library's maximin in its venv (it takes the newer ``feature,value`` header)."""
    cats_lib = "feature,value,min,max\n" + "".join(line + "\n" for line in cats.splitlines()[1:])
    job = json.dumps({"categories": cats_lib, "respondents": resp, "size": size})
    try:
        done = subprocess.run([str(python), "-c", LIBRARY_SCRIPT], input=job, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout_s": timeout}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # HiGHS prints its banner first


def bench_one(name: str, cats: str, resp: str, size: int, *, legacy_runs: int, python: Path | None,
              library_timeout: float) -> dict:
    from civic.assemblies import selection as s

    pool = s.parse_respondents(resp, s.parse_categories(cats))
    start, cpu = time.perf_counter(), time.process_time()
    ours = s.select(pool, size, "maximin")
    civic_s, civic_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    legacy = s.select(pool, size, "legacy", legacy_runs=legacy_runs)
    legacy_s, legacy_cpu = time.perf_counter() - start, time.process_time() - cpu
    out = {
        "pool": len(pool.ids), "panel": size, "categories": len(pool.categories), "profiles": len(ours.profiles),
        "civic_s": round(civic_s, 2), "civic_cpu_s": round(civic_cpu, 2),
        "civic_min_probability": round(ours.min_probability, 6), "civic_gap": ours.gap,
        "civic_iterations": ours.iterations, "civic_sum": round(sum(ours.probabilities.values()), 6),
        "legacy_s": round(legacy_s, 2), "legacy_cpu_s": round(legacy_cpu, 2), "legacy_runs": legacy.iterations,
        "legacy_min_probability": round(legacy.min_probability, 6),
        "legacy_gini": round(s.gini(list(legacy.probabilities.values())), 4),
        "civic_gini": abs(round(s.gini(list(ours.probabilities.values())), 4)),
    }
    out["min_probability_vs_legacy"] = (round(ours.min_probability / legacy.min_probability, 2)
                                        if legacy.min_probability else None)
    if name in EXAMPLES:
        out["published_leximin_min"] = 0.10
        out["agrees_with_published"] = abs(ours.min_probability - 0.10) <= AGREE
    if python is not None:
        lib = run_library(python, cats, resp, size, library_timeout)
        out["library"] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in lib.items()}
        if "min_probability" in lib:
            out["speedup_vs_library"] = round(lib["seconds"] / civic_s, 1)
            out["cpu_speedup_vs_library"] = round(lib["cpu_seconds"] / max(civic_cpu, 1e-3), 1)
            out["agrees_with_library"] = abs(lib["min_probability"] - ours.min_probability) <= AGREE
    print(name, json.dumps(out), file=sys.stderr, flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [*SYNTHETIC, *EXAMPLES]
    ap.add_argument("--only", action="append", choices=names, help="run only these instances (repeatable)")
    ap.add_argument("--no-library", action="store_true", help="skip sortition-algorithms")
    ap.add_argument("--library-on", action="append", choices=names,
                    help="instances on which to run the library (default: synthetic_200, synthetic_2000, "
                         "example_small_20)")
    ap.add_argument("--library-timeout", type=float, default=1200.0, help="seconds per library run")
    ap.add_argument("--legacy-runs", type=int, default=2000, help="greedy draws to estimate its probabilities")
    args = ap.parse_args()
    library_on = set(args.library_on or ["synthetic_200", "synthetic_2000", "example_small_20"])
    python = None if args.no_library else venv_python()
    result: dict = {}
    for name in args.only or names:
        if name in SYNTHETIC:
            n, k, c = SYNTHETIC[name]
            (cats, resp), size = synthetic(n, k, c), k
        else:
            (cats, resp), size = example(name), EXAMPLES[name]
        result[name] = bench_one(name, cats, resp, size, legacy_runs=args.legacy_runs,
                                 python=python if name in library_on else None,
                                 library_timeout=args.library_timeout)
    ok = all(r.get("agrees_with_library", True) and r.get("agrees_with_published", True) for r in result.values())
    if "synthetic_2000" in result:
        result["target_2000_under_60s"] = result["synthetic_2000"]["civic_s"] < 60
        ok = ok and result["target_2000_under_60s"]
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
