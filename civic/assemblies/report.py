"""The public selection report and the anonymised files: pure computation.

No database and no personal data: the figures come from the anonymised pool
(``selection.Pool`` read back from the published respondents file), the
selection result and the panel's pseudonymous ids, so that what the report
says is exactly what anyone recomputes from the published files.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence

from .selection import Pool, Quota, SelectionResult, gini

HOUSEHOLD_COLUMN = "household"


def categories_csv(quotas: Sequence[Quota]) -> str:
    """The categories file in the Sortition Foundation's format (category, feature, min, max)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["category", "feature", "min", "max"])
    for q in quotas:
        w.writerow([q.category, q.value, q.min, q.max])
    return out.getvalue()


def respondents_csv(categories: Sequence[str], rows: Sequence[tuple[str, dict[str, str], str | None]]) -> str:
    """The anonymised respondents file: ``id``, one column per category and,
    when some volunteers share an address, a ``household`` column (a number per
    shared home, empty for everyone else) for the one-per-household rule.

    ``rows`` are ``(pseudonymous id, features, household key or None)`` in the
    published order."""
    # Only homes shared by several volunteers matter to the rule: the others stay empty.
    seen = Counter(home for _ref, _f, home in rows if home)
    shared = {home for home, n in seen.items() if n > 1}
    with_homes = bool(shared)
    numbers: dict[str, str] = {}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", *categories, *([HOUSEHOLD_COLUMN] if with_homes else [])])
    for ref, features, home in rows:
        cells = [ref, *(features[c] for c in categories)]
        if with_homes:
            cells.append(numbers.setdefault(home, f"H{len(numbers) + 1}") if home in shared else "")
        w.writerow(cells)
    return out.getvalue()


def has_households(respondents: str) -> bool:
    first = respondents.split("\n", 1)[0]
    return HOUSEHOLD_COLUMN in next(csv.reader([first]))


def _stats(values: Sequence[float]) -> dict:
    if not values:
        return {"min": 0.0, "mean": 0.0, "gini": 0.0}
    return {"min": min(values), "mean": sum(values) / len(values), "gini": gini(values)}


def figures(pool: Pool, result: SelectionResult, legacy: SelectionResult | None, panel: Sequence[str]) -> dict:
    """Everything the public report shows, as JSON-ready values.

    ``features``: per quota, its bounds, its count and share in the pool and
    in the panel; ``probabilities``: min / mean / Gini of the selection
    probabilities of the algorithm used and of the legacy greedy on the same
    pool (None when the greedy could not fill the quotas); ``profiles``: each
    distinct feature profile with its number of people and their probability
    (never one row per person)."""
    cats = pool.categories
    index = {pid: i for i, pid in enumerate(pool.ids)}
    in_pool = Counter()
    in_panel = Counter()
    for i in range(len(pool.ids)):
        for c in cats:
            in_pool[(c, pool.features[i][c])] += 1
    for pid in panel:
        for c in cats:
            in_panel[(c, pool.features[index[pid]][c])] += 1
    n, k = len(pool.ids), len(panel)
    features = [{"category": q.category, "value": q.value, "min": q.min, "max": q.max,
                 "pool": in_pool[(q.category, q.value)], "pool_share": in_pool[(q.category, q.value)] / n,
                 "panel": in_panel[(q.category, q.value)],
                 "panel_share": in_panel[(q.category, q.value)] / k if k else 0.0} for q in pool.quotas]
    profiles: dict[tuple[str, ...], list] = {}
    for i, pid in enumerate(pool.ids):
        entry = profiles.setdefault(pool.profile(i), [0, 0.0])
        entry[0] += 1
        entry[1] += result.probabilities[pid]
    legacy_ok = legacy is not None and legacy.iterations > 0
    return {
        "pool_size": n, "panel_size": k, "algorithm": result.algorithm, "categories": cats,
        "features": features,
        "probabilities": {"chosen": _stats(list(result.probabilities.values())),
                          "legacy": _stats(list(legacy.probabilities.values())) if legacy_ok else None},
        "panels_in_lottery": len(result.lottery),
        # With the household rule people of one profile may differ: their mean.
        "profiles": [{"profile": list(p), "people": c, "probability": total / c}
                     for p, (c, total) in sorted(profiles.items())],
    }
