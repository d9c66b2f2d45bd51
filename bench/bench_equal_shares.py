"""Benchmark Civic's Method of Equal Shares against pabutools 1.2.3.

Usage (from the repository root)::

    .venv/bin/python bench/bench_equal_shares.py            # Świecie 2023 + Kraków 2024
    .venv/bin/python bench/bench_equal_shares.py --only swiecie

pabutools is installed only in its own virtualenv, ``bench/.venv-pabutools``
(created on first use with ``pabutools==1.2.3``), never in the project's
requirements, and runs in a subprocess with that venv's python.  Both sides
compute MES with cost utilities (pabutools' ``Cost_Sat``), the "add one"
completion (``voter_budget_increment=1``, the official Świecie procedure) and
the same tie-breaking (more supporters, then cheaper, then file order).

Only the rule is timed, not the parsing (reported separately), as wall time
(``*_s``, used for ``speedup``) and CPU time (``*_cpu_s``, steadier when the
machine is shared).  pabutools runs once; Civic runs ``--repeat`` times
(default 3) and the median is reported.
The last line printed is one JSON object, e.g.::

    {"swiecie": {"civic_s": 0.2, "pabutools_s": 9.1, "speedup": 45.5,
                 "identical": true, ...}, "krakow": {...}}
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script from anywhere: make the repository importable (the civic
# imports happen inside the functions, after this).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PABUTOOLS = "pabutools==1.2.3"
VENV = REPO / "bench" / ".venv-pabutools"
ELECTIONS = {
    "swiecie": "Poland_Swiecie_2023.pb",
    "krakow": "Poland_Krakow_2024.pb",
}

# Runs inside the pabutools venv.  Reads {"file", "tie_break"} on stdin and
# prints {"selected", "seconds", "parse_seconds"} as JSON.
PABUTOOLS_SCRIPT = r"""
import json, sys, time
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule

job = json.load(sys.stdin)
rank = {pid: tuple(key) for pid, key in job["tie_break"].items()}
start = time.perf_counter()
instance, profile = parse_pabulib(job["file"])
parsed, parsed_cpu = time.perf_counter(), time.process_time()
outcome = method_of_equal_shares(
    instance,
    profile,
    sat_class=Cost_Sat,
    voter_budget_increment=1,
    tie_breaking=TieBreakingRule(lambda inst, prof, proj: rank[proj.name]),
)
done, done_cpu = time.perf_counter(), time.process_time()
print(json.dumps({
    "selected": [p.name for p in outcome],
    "seconds": done - parsed,
    "cpu_seconds": done_cpu - parsed_cpu,
    "parse_seconds": parsed - start,
}))
"""


def data_dir() -> Path:
    """``$CIVIC_PABULIB_DIR``, else ``<repo>/../shared/data/pabulib``."""
    env = os.environ.get("CIVIC_PABULIB_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data" / "pabulib"


def venv_python() -> Path:
    """Python of the pabutools venv, creating the venv on first use."""
    python = VENV / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('pabutools'))"]
    if python.exists():
        found = subprocess.run(check, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip() == PABUTOOLS.split("==")[1]:
            return python
    print(f"creating {VENV} with {PABUTOOLS} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", PABUTOOLS], check=True)
    return python


def run_pabutools(python: Path, path: Path, tie_break: dict[str, list]) -> dict:
    """Run pabutools' MES on ``path`` in the venv's python; returns its JSON."""
    job = json.dumps({"file": str(path), "tie_break": tie_break})
    done = subprocess.run(
        [str(python), "-c", PABUTOOLS_SCRIPT],
        input=job,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def civic_tie_break(election) -> dict[str, list]:
    """Civic's default equal-shares tie-break as a sort key per project id
    (more supporters, then cheaper, then file order), for pabutools."""
    supporters = {pid: 0 for pid in election.projects}
    for vote in election.votes:
        for pid in set(vote.projects):
            supporters[pid] += 1
    return {
        pid: [-supporters[pid], float(project.cost), position]
        for position, (pid, project) in enumerate(election.projects.items())
    }


def bench_one(python: Path, path: Path, repeat: int) -> dict:
    """Time both implementations on one file and compare their outcomes."""
    from civic.budgets.pabulib import parse_pb
    from civic.budgets.rules import election_ballots, equal_shares

    start = time.perf_counter()
    election = parse_pb(path)
    civic_parse = time.perf_counter() - start
    ballots = election_ballots(election)
    timings, cpu_timings, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = equal_shares(election.projects, election.budget, ballots)
        timings.append(time.perf_counter() - start)
        cpu_timings.append(time.process_time() - start_cpu)
    civic_s = statistics.median(timings)
    civic_cpu = statistics.median(cpu_timings)

    theirs = run_pabutools(python, path, civic_tie_break(election))
    official = [pid for pid, p in election.projects.items() if p.selected]
    return {
        "civic_s": round(civic_s, 4),
        "pabutools_s": round(theirs["seconds"], 3),
        "speedup": round(theirs["seconds"] / civic_s, 1),
        "identical": sorted(result.selected) == sorted(theirs["selected"]),
        # CPU time is steadier than wall time on a shared machine.
        "civic_cpu_s": round(civic_cpu, 4),
        "pabutools_cpu_s": round(theirs["cpu_seconds"], 3),
        "cpu_speedup": round(theirs["cpu_seconds"] / civic_cpu, 1),
        "same_order": result.selected == theirs["selected"],
        "selected": len(result.selected),
        "official_rule": election.meta.get("rule"),
        "matches_official_selected": sorted(result.selected) == sorted(official),
        "increments": result.details["increments"],
        "civic_parse_s": round(civic_parse, 3),
        "pabutools_parse_s": round(theirs["parse_seconds"], 3),
    }


def main() -> int:
    """Run the benchmark; the last printed line is the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(ELECTIONS), action="append")
    parser.add_argument("--repeat", type=int, default=3, help="Civic runs (median kept)")
    args = parser.parse_args()

    directory = data_dir()
    if not directory.is_dir():
        print(f"pabulib data not found in {directory} (set CIVIC_PABULIB_DIR)", file=sys.stderr)
        return 2
    python = venv_python()
    summary = {}
    for name in args.only or list(ELECTIONS):
        summary[name] = bench_one(python, directory / ELECTIONS[name], args.repeat)
        print(f"{name}: {json.dumps(summary[name])}", flush=True)
    print(json.dumps(summary))
    ok = all(r["identical"] and r["speedup"] >= 20 for r in summary.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
