"""Opinion groups (civic.conversations.groups) on large conversations: seconds
and peak memory of a full computation and of an incremental update, with a
dense reference (the participants x statements matrix filled in, PCA and
k-means on it) measured in the same run.

    .venv/bin/python bench/bench_opinion_groups.py                 # 100,000 and 1,000,000 votes
    .venv/bin/python bench/bench_opinion_groups.py --polis-dir DIR # also every DIR/*/votes.csv

Synthetic conversations: participants in four latent camps of unequal sizes,
each camp leaning on each statement; every participant sees a random share
of the statements (most see few), as in real Polis conversations. The last
line printed is one JSON object. Target: under 5 s for 100,000 votes, and
memory proportional to the votes, not to participants x statements.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from civic.conversations import groups, polis  # noqa: E402


def synthetic(n_votes: int, seed: int = 0):
    """About ``n_votes`` deduplicated votes: participants = votes / 25, statements = sqrt-ish."""
    rng = np.random.default_rng(seed)
    n_participants = max(50, n_votes // 25)
    n_statements = int(min(2000, max(40, 8 * np.sqrt(n_votes) / 10)))
    camps = rng.choice(4, size=n_participants, p=[0.4, 0.3, 0.2, 0.1])
    lean = rng.uniform(-1, 1, size=(4, n_statements))
    lean[:, :5] = 0.9  # a few statements everybody likes
    # Most people vote on a few statements, some on many (geometric, mean 25), as in Polis exports.
    per_person = np.minimum(rng.geometric(1 / 25, size=n_participants), n_statements).astype(np.int64)
    p = np.repeat(np.arange(n_participants), per_person)
    # Distinct statements per person: the first k of a random permutation, drawn in one go.
    order = np.argsort(rng.random((n_participants, n_statements)), axis=1) if n_participants * n_statements <= 4e7 \
        else None
    if order is not None:
        s = order[np.arange(n_statements)[None, :] < per_person[:, None]]
    else:
        s = np.concatenate([rng.choice(n_statements, size=k, replace=False) for k in per_person])
    u = rng.random(len(p))
    agree = (lean[camps[p], s] + 1) / 2
    v = np.where(u < agree * 0.85, 1.0, np.where(u < agree * 0.85 + 0.15, 0.0, -1.0))
    return p, s, v, n_participants, n_statements


def measure(fn):
    tracemalloc.start()
    started = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, round(seconds, 3), round(peak / 2**20, 1)


def dense_reference(p, s, v, n_participants, n_statements):
    """What a naive implementation does: fill the whole matrix, PCA, k-means."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    m = np.full((n_participants, n_statements), np.nan)
    m[p, s] = v
    means = np.nanmean(np.where(np.isnan(m), np.nan, m), axis=0)
    means = np.where(np.isnan(means), 0, means)
    filled = np.where(np.isnan(m), means, m)
    coords = PCA(n_components=2, random_state=0).fit_transform(filled)
    KMeans(n_clusters=4, n_init=1, random_state=0).fit(coords)


def run(name, p, s, v, n_participants, n_statements, reference: bool):
    result, full_s, full_mb = measure(lambda: groups.compute(p, s, v, n_participants, n_statements))
    # An incremental update: 1 % more votes, warm-started from the previous result, as the job does.
    rng = np.random.default_rng(1)
    k = max(1, len(v) // 100)
    p2 = np.concatenate([p, rng.integers(0, n_participants, k)])
    s2 = np.concatenate([s, rng.integers(0, n_statements, k)])
    v2 = np.concatenate([v, rng.choice([1.0, -1.0, 0.0], k)])
    p2, s2, v2 = groups.dedupe_votes(p2, s2, v2)
    _r, inc_s, inc_mb = measure(lambda: groups.compute(p2, s2, v2, n_participants, n_statements, previous=result))
    row = {"votes": int(len(v)), "participants": n_participants, "statements": n_statements,
           "groups": int(result.n_groups), "clustered": int(len(result.members)),
           "full_s": full_s, "full_peak_mb": full_mb, "incremental_s": inc_s, "incremental_peak_mb": inc_mb,
           "dense_cells_mb": round(n_participants * n_statements * 8 / 2**20, 1)}
    if reference:
        _x, ref_s, ref_mb = measure(lambda: dense_reference(p, s, v, n_participants, n_statements))
        row.update({"dense_reference_s": ref_s, "dense_reference_peak_mb": ref_mb,
                    "memory_ratio_dense_over_sparse": round(ref_mb / max(full_mb, 0.1), 1)})
    print(f"{name}: {json.dumps(row)}", file=sys.stderr)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000", help="synthetic vote counts, comma-separated")
    ap.add_argument("--polis-dir", help="a folder of Polis open-data exports (each with votes.csv)")
    args = ap.parse_args()
    summary = {"bench": "opinion_groups", "synthetic": {}, "polis": {}}
    for size in (int(x) for x in args.sizes.split(",")):
        data = synthetic(size)
        summary["synthetic"][str(size)] = run(f"synthetic {size}", *data, reference=size <= 200_000)
    if args.polis_dir:
        for votes_file in sorted(Path(args.polis_dir).glob("*/votes.csv")):
            with votes_file.open(encoding="utf-8-sig", newline="") as fh:
                votes = polis.read_votes(fh)
            summary["polis"][votes_file.parent.name] = run(
                votes_file.parent.name, votes.participants, votes.statements, votes.values,
                len(votes.voter_ids), len(votes.comment_ids), reference=True)
    hundred_k = summary["synthetic"].get("100000")
    summary["target_100k_under_5s"] = bool(hundred_k and hundred_k["full_s"] < 5)
    print(json.dumps(summary))
    return 0 if summary["target_100k_under_5s"] or not hundred_k else 1


if __name__ == "__main__":
    raise SystemExit(main())
