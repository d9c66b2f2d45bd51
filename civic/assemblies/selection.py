"""Stratified sortition: fair selection of a citizens' assembly panel.

Pure computation, no database: the web layer, the CLI and the bench share it.

Input (the Sortition Foundation's CSV formats):

* categories: one row per feature value with ``category``, ``feature`` (or
  ``name``), ``min``, ``max``; the newer ``feature``, ``value``, ``min``,
  ``max`` header is read too.  Other columns (``min_flex``...) are ignored.
* respondents: one column per category; an ``id`` column if present, else the
  row number from 0.  When address columns are named, at most one person per
  household (same normalised address) is selected.

Algorithms (Flanigan, Gölz, Gupta, Hennig, Procaccia, *Nature* 596, 2021):

* ``maximin`` (default): a lottery over quota-satisfying panels maximising the
  lowest selection probability, by column generation: the restricted master
  LP and the pricing ILP are both solved by HiGHS (``highspy``).
* ``nash``: maximises the sum of the logarithms of the probabilities
  (Frank-Wolfe over panels, the same pricing ILP finds each new panel).
* ``legacy``: the Sortition Foundation's historical greedy draw; its
  probabilities are estimated by repeated draws.

Why our own column generation rather than ``sortition-algorithms``' maximin:
people with identical feature values (and no household rule) are
interchangeable, and the maximin and Nash objectives are symmetric and
concave, so an optimal lottery gives each of them the same probability.  We
therefore solve over *profiles* (one integer variable per distinct feature
profile, bounded by its count) instead of one binary per person: the pricing
ILP of a 10,000-person pool has a few hundred integer variables instead of
10,000 binaries.  The optimum is the same (tests and ``bench/bench_assemblies.py``
compare it with the library's).  With a household rule, people who share their
address with another volunteer are no longer interchangeable and each is their
own profile; the others stay grouped.

Most of the time goes into the pricing ILP, so the column generation asks it
less often: dual smoothing (the ILP is asked between the best dual point so
far and the master's) and, with each panel it finds, the best panels one swap
away that also cut the master's point (:class:`_Swaps`), so that several
columns enter per ILP call. On the 2,000-volunteer bench pool this halves the
ILP calls (see ``bench/README.md``).

The public, verifiable draw (:func:`draw_panel`): the lottery is a list of
panels (profile -> number of people of that profile) with probabilities.
From the published seed ``S`` the ``j``-th uniform number is::

    u_j = int(sha256(f"{S}:{j}")[:8 bytes], big-endian) / 2**64

``u_0`` chooses the panel: the first in the lottery's published order whose
cumulative probability exceeds ``u_0``.  Then, profile by profile in the
published order, ``n`` people are taken from that profile's members (in file
order) by a partial Fisher-Yates shuffle: for ``i`` in ``0..n-1``, swap
position ``i`` with position ``i + floor(u_j * (m - i))`` (``j`` counting on
from 1, ``m`` the profile's size) and take the first ``n``.  Anyone can
recompute it in any language from the exported anonymised data and the seed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ALGORITHMS",
    "Infeasible",
    "Pool",
    "Quota",
    "SelectionError",
    "SelectionResult",
    "draw_panel",
    "gini",
    "legacy_panel",
    "parse_categories",
    "parse_respondents",
    "sample_uniform",
    "select",
    "seed_commitment",
    "uniform",
]

ALGORITHMS = ("maximin", "nash", "legacy")
EPS = 1e-7


class SelectionError(ValueError):
    """Input that cannot be read (a missing column, a value not in the categories...)."""


@dataclass(frozen=True)
class Quota:
    category: str
    value: str
    min: int
    max: int


class Infeasible(SelectionError):
    """No panel meets the quotas; ``relaxation`` lists the smallest changes that fix it.

    ``relaxation`` is a list of ``(quota, new_min, new_max)`` for the quotas to
    change; ``message`` says it in English for the CLI (the web layer builds
    its own translated sentence from the same data).
    """

    def __init__(self, message: str, relaxation: list[tuple[Quota, int, int]]):
        super().__init__(message)
        self.message = message
        self.relaxation = relaxation


@dataclass
class Pool:
    """The volunteers: ids in file order, their feature values and households."""

    quotas: list[Quota]
    ids: list[str]
    features: list[dict[str, str]]
    households: list[str | None] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for q in self.quotas:
            seen.setdefault(q.category, None)
        return list(seen)

    def profile(self, i: int) -> tuple[str, ...]:
        return tuple(self.features[i][c] for c in self.categories)


@dataclass
class SelectionResult:
    algorithm: str
    size: int
    probabilities: dict[str, float]
    # The lottery: (probability, {profile index: how many}) in canonical order.
    lottery: list[tuple[float, dict[int, int]]]
    profiles: list[tuple[str, ...]]
    members: list[list[int]]          # person indices of each profile, file order
    seconds: float
    iterations: int = 0
    gap: float = 0.0

    @property
    def min_probability(self) -> float:
        return min(self.probabilities.values()) if self.probabilities else 0.0

    def as_json(self, panel: list[str] | None = None) -> dict:
        return {"probabilities": {k: round(v, 10) for k, v in self.probabilities.items()},
                "panel": panel or [], "min_probability": round(self.min_probability, 10),
                "algorithm": self.algorithm, "seconds": round(self.seconds, 3)}


# ---------------------------------------------------------------- reading

def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        reader = csv.DictReader(io.StringIO(text), strict=True)
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader]
    except csv.Error as exc:
        raise SelectionError(f"The file is not valid CSV: {exc}") from exc
    return header, rows


def _int(value: str, what: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise SelectionError(f"{what}: {value!r} is not a whole number") from None
    if n < 0:
        raise SelectionError(f"{what}: {n} is negative")
    return n


def parse_categories(text: str) -> list[Quota]:
    """Read a categories CSV (``category,feature|name,min,max`` or ``feature,value,min,max``)."""
    header, rows = _rows(text)
    lower = {h.lower(): h for h in header}
    if "category" in lower:
        cat_col = lower["category"]
        val_col = lower.get("feature") or lower.get("name") or lower.get("value")
    else:
        cat_col, val_col = lower.get("feature"), lower.get("value")
    if not cat_col or not val_col or "min" not in lower or "max" not in lower:
        raise SelectionError("The categories file needs the columns category, feature "
                             "(or name), min and max.")
    quotas, seen = [], set()
    for n, row in enumerate(rows, start=2):
        cat, val = row.get(cat_col, ""), row.get(val_col, "")
        if not cat and not val:
            continue
        if not cat or not val:
            raise SelectionError(f"Categories line {n}: the category and the feature are required.")
        lo = _int(row.get(lower["min"], ""), f"Categories line {n}, min")
        hi = _int(row.get(lower["max"], ""), f"Categories line {n}, max")
        if lo > hi:
            raise SelectionError(f"Categories line {n}: min {lo} is above max {hi}.")
        if (cat, val) in seen:
            raise SelectionError(f"Categories line {n}: {cat} / {val} appears twice.")
        seen.add((cat, val))
        quotas.append(Quota(cat, val, lo, hi))
    if not quotas:
        raise SelectionError("The categories file has no quota.")
    return quotas


def _normalise_address(parts: Iterable[str]) -> str:
    return " ".join(" ".join(parts).lower().split())


def parse_respondents(text: str, quotas: Sequence[Quota],
                      address_columns: Sequence[str] = ()) -> Pool:
    """Read a respondents CSV: one column per category, ``id`` if present, else row numbers.

    Rows whose value in a category is not one of that category's features are
    refused with their line number, as are duplicate ids.
    """
    header, rows = _rows(text)
    lower = {h.lower(): h for h in header}
    cats: dict[str, set[str]] = defaultdict(set)
    for q in quotas:
        cats[q.category].add(q.value)
    missing = [c for c in cats if c not in header and c.lower() not in lower]
    if missing:
        raise SelectionError("The respondents file has no column for: " + ", ".join(missing))
    col = {c: (c if c in header else lower[c.lower()]) for c in cats}
    addr = []
    for a in address_columns:
        if a not in header and a.lower() not in lower:
            raise SelectionError(f"The respondents file has no address column {a!r}.")
        addr.append(a if a in header else lower[a.lower()])
    id_col = lower.get("id")
    ids, feats, homes, seen = [], [], [], set()
    for n, row in enumerate(rows):
        pid = row.get(id_col, "") if id_col else str(n)
        if not pid:
            raise SelectionError(f"Respondents line {n + 2}: the id is empty.")
        if pid in seen:
            raise SelectionError(f"Respondents line {n + 2}: the id {pid!r} appears twice.")
        seen.add(pid)
        f = {}
        for c, values in cats.items():
            v = row.get(col[c], "")
            if v not in values:
                raise SelectionError(f"Respondents line {n + 2}: {c} {v!r} is not one of the "
                                     f"categories' features ({', '.join(sorted(values))}).")
            f[c] = v
        ids.append(pid)
        feats.append(f)
        homes.append(_normalise_address(row.get(a, "") for a in addr) if addr else None)
    if not ids:
        raise SelectionError("The respondents file has nobody in it.")
    return Pool(list(quotas), ids, feats, homes)


# ---------------------------------------------------------------- profiles

def _shared_households(pool: Pool) -> set[str]:
    seen = Counter(h for h in pool.households if h)
    return {h for h, n in seen.items() if n > 1}


def _profiles(pool: Pool) -> tuple[list[tuple[str, ...]], list[list[int]]]:
    """Group interchangeable people. With a household rule, people who share
    their address with another volunteer stand alone (the rule tells them
    apart); everyone else is still grouped by profile, so a pool with a few
    shared homes keeps a small ILP. Order: by profile, then first person."""
    shared = _shared_households(pool)
    groups: dict[tuple[str, ...], list[int]] = {}
    alone: list[tuple[tuple[str, ...], list[int]]] = []
    for i in range(len(pool.ids)):
        if shared and pool.households[i] in shared:
            alone.append((pool.profile(i), [i]))
        else:
            groups.setdefault(pool.profile(i), []).append(i)
    entries = sorted([*groups.items(), *alone], key=lambda e: (e[0], e[1][0]))
    return [k for k, _ in entries], [m for _, m in entries]


class _Pricing:
    """The panel ILP on HiGHS: one integer per profile, quotas, size, households."""

    def __init__(self, pool: Pool, size: int, profiles, members, lo=None, hi=None):
        import highspy

        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("threads", 1)
        n = len(profiles)
        self.n = n
        cats = pool.categories
        h.addVars(n, [0.0] * n, [float(len(m)) for m in members])
        h.changeColsIntegrality(n, list(range(n)), [highspy.HighsVarType.kInteger] * n)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addRow(float(size), float(size), n, list(range(n)), [1.0] * n)
        for q in pool.quotas:
            k = cats.index(q.category)
            idx = [t for t, p in enumerate(profiles) if p[k] == q.value]
            qlo = q.min if lo is None else lo[q]
            qhi = q.max if hi is None else hi[q]
            h.addRow(float(qlo), float(qhi), len(idx), idx, [1.0] * len(idx))
        _household_rows(h, pool, members)

    def best(self, weights: Sequence[float]) -> tuple[float, tuple[int, ...]] | None:
        import highspy

        h = self.h
        h.changeColsCost(self.n, list(range(self.n)), list(map(float, weights)))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = h.getSolution().col_value
        panel = tuple(int(round(v)) for v in x)
        return sum(w * c for w, c in zip(weights, panel, strict=True)), panel


# ---------------------------------------------------------------- feasibility

def check_feasible(pool: Pool, size: int) -> None:
    """Raise :class:`Infeasible` with the smallest relaxation when no panel meets the quotas."""
    profiles, members = _profiles(pool)
    bad = [q for q in pool.quotas if q.min > size]
    if _Pricing(pool, size, profiles, members).best([0.0] * len(profiles)) is not None and not bad:
        return
    relaxation = _relax(pool, size, profiles, members)
    parts = [f"{q.category} / {q.value}: min {q.min} → {lo}, max {q.max} → {hi}"
             for q, lo, hi in relaxation]
    message = (f"No panel of {size} meets these quotas with this pool. "
               + ("The smallest change that makes it possible: " + "; ".join(parts) + "."
                  if parts else "The pool is smaller than the panel or cannot fill it."))
    raise Infeasible(message, relaxation)


def _relax(pool: Pool, size: int, profiles, members) -> list[tuple[Quota, int, int]]:
    """An ILP lowering mins and raising maxes by the least total amount."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n, qs = len(profiles), pool.quotas
    cats = pool.categories
    # Variables: profile counts x_t, then for each quota a lowering d_q and a raise r_q.
    h.addVars(n, [0.0] * n, [float(len(m)) for m in members])
    # A min can be lowered to 0 (so by as much as itself, even above the panel
    # size: quotas written for a larger panel), a max raised up to the size.
    uppers = [float(v) for q in qs for v in (q.min, size)]
    h.addVars(2 * len(qs), [0.0] * (2 * len(qs)), uppers)
    total = n + 2 * len(qs)
    h.changeColsIntegrality(total, list(range(total)), [highspy.HighsVarType.kInteger] * total)
    h.changeColsCost(2 * len(qs), list(range(n, total)), [1.0] * (2 * len(qs)))
    h.addRow(float(size), float(size), n, list(range(n)), [1.0] * n)
    inf = highspy.kHighsInf
    for j, q in enumerate(qs):
        k = cats.index(q.category)
        idx = [t for t, p in enumerate(profiles) if p[k] == q.value]
        d, r = n + 2 * j, n + 2 * j + 1
        # sum x + d >= min ; sum x - r <= max
        h.addRow(float(q.min), inf, len(idx) + 1, idx + [d], [1.0] * len(idx) + [1.0])
        h.addRow(-inf, float(q.max), len(idx) + 1, idx + [r], [1.0] * len(idx) + [-1.0])
    _household_rows(h, pool, members)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    x = h.getSolution().col_value
    out = []
    for j, q in enumerate(qs):
        d, r = int(round(x[n + 2 * j])), int(round(x[n + 2 * j + 1]))
        if d or r:
            out.append((q, q.min - d, q.max + r))
    return out


# ---------------------------------------------------------------- maximin

def _initial_panels(pricing: _Pricing, counts: list[int], rng: random.Random) -> list[tuple]:
    """Panels that together cover every profile that can be in some panel."""
    panels: set[tuple[int, ...]] = set()
    covered = [False] * len(counts)
    for t in range(len(counts)):
        if covered[t]:
            continue
        w = [1.0 if s == t else (0.0 if covered[s] else 1e-3 * rng.random()) for s in range(len(counts))]
        w[t] = float(len(counts))
        got = pricing.best(w)
        if got is None:
            break
        _, panel = got
        if panel[t] == 0:
            continue  # profile t can be in no panel: its people get probability 0
        panels.add(panel)
        for s, c in enumerate(panel):
            if c:
                covered[s] = True
    return sorted(panels)


class _Swaps:
    """Panels one swap away from a given one (one person of profile ``a`` out,
    one of profile ``b`` in) that still meet every quota, best first.

    Column generation adds them with the ILP's panel when they too are heavier
    than the master's ``z``: several violated panels per ILP call, so fewer
    calls (each costs far more than this numpy pass). Only without a household
    rule (with one, a swap may put two people of one home on the panel)."""

    def __init__(self, pool: Pool, profiles, members):
        import numpy as np

        self.np = np
        cats = pool.categories
        row = {(q.category, q.value): j for j, q in enumerate(pool.quotas)}
        self.q = np.array([[row[(c, p[k])] for k, c in enumerate(cats)] for p in profiles], dtype=np.int64)
        self.lo = np.array([q.min for q in pool.quotas])
        self.hi = np.array([q.max for q in pool.quotas])
        self.cap = np.array([len(m) for m in members])

    def best(self, panel: tuple[int, ...], y: Sequence[float], above: float, limit: int) -> list[tuple]:
        np = self.np
        x = np.array(panel)
        counts = np.bincount(self.q[x > 0].ravel(), weights=np.repeat(x[x > 0], self.q.shape[1]),
                             minlength=len(self.lo))
        up_ok, down_ok = counts + 1 <= self.hi, counts - 1 >= self.lo
        a = np.flatnonzero(x > 0)
        b = np.flatnonzero(x < self.cap)
        qa, qb = self.q[a][:, None, :], self.q[b][None, :, :]
        ok = ((qa == qb) | (down_ok[qa] & up_ok[qb])).all(axis=2) & (a[:, None] != b[None, :])
        yv = np.asarray(y, dtype=float)
        value = float(yv @ x) - yv[a][:, None] + yv[b][None, :]
        value[~ok] = -np.inf
        flat = np.argsort(value, axis=None)[::-1][:limit]
        out = []
        for f in flat:
            i, j = divmod(int(f), len(b))
            if value[i, j] <= above:
                break
            new = list(panel)
            new[int(a[i])] -= 1
            new[int(b[j])] += 1
            out.append(tuple(new))
        return out


def _maximin(pricing: _Pricing, counts: list[int], panels: list[tuple], tol: float, smoothing: float = 0.5,
             swaps: _Swaps | None = None, extra: int = 20):
    """Column generation for the dual: min z s.t. y(P) <= z for known P, sum c_t y_t = 1.

    ``y`` is a weight per person (one value per profile, times its count); the
    pricing ILP finds the panel of largest weight ``v(y)``. Any such ``y`` gives
    an upper bound ``v(y)`` on the optimum, the restricted master's ``z`` a
    lower bound; we stop when the best upper bound is within ``tol`` of ``z``.

    Dual smoothing (Wentges): the restricted master's duals jump between
    symmetric vertices, so the ILP is asked at ``y_s = a * best + (1 - a) * y``,
    between the best dual point found so far and the master's; a panel found
    there is added when it cuts the master's current point, otherwise (a
    "mis-price") the ILP is asked at the master's point itself, which either
    adds a panel or proves optimality. Fewer ILP calls for the same optimum
    (bench/bench_assemblies.py).
    """
    import highspy

    covered = [t for t in range(len(counts)) if any(p[t] for p in panels)]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    n = len(counts)
    # columns: y_t (weight per person of profile t) for t in covered, then z
    pos = {t: j for j, t in enumerate(covered)}
    m = len(covered)
    h.addVars(m + 1, [0.0] * m + [-inf], [inf] * (m + 1))
    h.changeColsCost(1, [m], [1.0])
    h.addRow(1.0, 1.0, m, list(range(m)), [float(counts[t]) for t in covered])
    known: set[tuple[int, ...]] = set()

    def add(panel):
        known.add(panel)
        idx = [pos[t] for t in covered if panel[t]]
        h.addRow(-inf, 0.0, len(idx) + 1, idx + [m], [float(panel[t]) for t in covered if panel[t]] + [-1.0])

    for p in panels:
        add(p)

    def weight(y, panel):
        return sum(y[t] * c for t, c in enumerate(panel) if c)

    best_y, best_bound = None, math.inf
    iterations, gap = 0, 1.0
    while True:
        iterations += 1
        h.run()
        sol = h.getSolution()
        y = [0.0] * n
        for t in covered:
            y[t] = sol.col_value[pos[t]]
        z = sol.col_value[m]
        if best_bound - z <= tol:
            gap = best_bound - z
            break
        found = None
        if best_y is not None and smoothing > 0:
            ys = [smoothing * b + (1 - smoothing) * v for b, v in zip(best_y, y, strict=True)]
            value, panel = pricing.best(ys)
            if value < best_bound:
                best_y, best_bound = ys, value
            if panel not in known and weight(y, panel) > z + tol:
                found = panel
        if found is None:  # no smoothing yet, or a mis-price: the exact step at the master's point
            value, panel = pricing.best(y)
            if value < best_bound:
                best_y, best_bound = y, value
            gap = value - z
            if gap <= tol or panel in known:
                break
            found = panel
        panels.append(found)
        add(found)
        if swaps is not None:
            for near in swaps.best(found, y, z + tol, extra):
                if near not in known:
                    panels.append(near)
                    add(near)
    # The lottery is the row duals of the panel rows (rows 1..len(panels)).
    duals = h.getSolution().row_dual
    lam = [max(0.0, -d) for d in duals[1:1 + len(panels)]]
    s = sum(lam)
    lam = [v / s for v in lam] if s > 0 else [1.0 / len(panels)] * len(panels)
    return panels, lam, iterations, max(gap, 0.0)


# ---------------------------------------------------------------- nash

def _nash(pricing: _Pricing, counts: list[int], panels: list[tuple], max_iter: int = 400,
          rel_tol: float = 1e-4):
    """Frank-Wolfe on sum_t c_t log p_t over lotteries; the pricing ILP gives each step."""
    covered = [t for t in range(len(counts)) if any(p[t] for p in panels)]
    lam = {p: 1.0 / len(panels) for p in panels}
    n_cov = sum(counts[t] for t in covered)

    def probs(lottery):
        p = [0.0] * len(counts)
        for panel, w in lottery.items():
            for t, c in enumerate(panel):
                if c:
                    p[t] += w * c / counts[t]
        return p

    p = probs(lam)
    it = 0
    for step in range(1, max_iter + 1):
        it = step
        grad = [(1.0 / p[t]) if p[t] > 0 else 0.0 for t in range(len(counts))]
        value, panel = pricing.best(grad)
        if value <= n_cov * (1 + rel_tol):
            break
        q = [panel[t] / counts[t] for t in range(len(counts))]

        def slope(g, q=q, p=p):
            return sum(counts[t] * (q[t] - p[t]) / ((1 - g) * p[t] + g * q[t]) for t in covered)
        lo, hi = 0.0, 1.0 - 1e-9
        if slope(hi) > 0:
            g = hi
        else:
            for _ in range(50):
                mid = (lo + hi) / 2
                if slope(mid) > 0:
                    lo = mid
                else:
                    hi = mid
            g = lo
        if g <= 0:
            break
        lam = {k: v * (1 - g) for k, v in lam.items()}
        lam[panel] = lam.get(panel, 0.0) + g
        p = [(1 - g) * p[t] + g * q[t] for t in range(len(counts))]
    items = sorted((k, v) for k, v in lam.items() if v > 1e-12)
    s = sum(v for _, v in items)
    return [k for k, _ in items], [v / s for _, v in items], it


# ---------------------------------------------------------------- legacy

def _legacy_once(pool: Pool, size: int, profiles, members, rng: random.Random,
                 attempts: int = 100) -> list[int] | None:
    """The historical greedy: fill the most urgent quota first, with a random person.

    At each step the feature value with the highest ratio (still needed to
    reach its min) / (people left with it) is chosen, then a random person
    left with it; values at their max, and the person's household, leave the
    pool.  A draw that ends outside the quotas is retried.  Works on profiles
    (people with the same values are interchangeable), so a step costs the
    number of profiles, not the pool size.  Returns profile indices.
    """
    cats = pool.categories
    quotas = pool.quotas
    of_value = [[t for t, p in enumerate(profiles) if p[cats.index(q.category)] == q.value]
                for q in quotas]
    values_of: list[list[int]] = [[] for _ in profiles]
    for j, ts in enumerate(of_value):
        for t in ts:
            values_of[t].append(j)
    home_of: dict[int, list[int]] = defaultdict(list)
    shared = _shared_households(pool)
    if shared:
        homes: dict[str, list[int]] = defaultdict(list)
        for t, m in enumerate(members):
            # Only people sharing a home stand alone in a profile of their own (see _profiles).
            if len(m) == 1 and pool.households[m[0]] in shared:
                homes[pool.households[m[0]]].append(t)
        for ts in homes.values():
            for t in ts:
                home_of[t] = ts
    for _ in range(attempts):
        left = [len(m) for m in members]
        n_left = [sum(left[t] for t in ts) for ts in of_value]
        count = [0] * len(quotas)

        def drop(t, d, left=left, n_left=n_left):
            left[t] -= d
            for j2 in values_of[t]:
                n_left[j2] -= d
        chosen: list[int] = []
        for _k in range(size):
            best, best_ratio = [], -math.inf
            for j, q in enumerate(quotas):
                if not n_left[j]:
                    continue
                ratio = (q.min - count[j]) / n_left[j]
                if ratio > best_ratio + 1e-12:
                    best, best_ratio = [j], ratio
                elif abs(ratio - best_ratio) <= 1e-12:
                    best.append(j)
            if not best:
                break
            j = best[rng.randrange(len(best))]
            ts = of_value[j]
            pick = rng.randrange(n_left[j])
            for t in ts:
                if pick < left[t]:
                    break
                pick -= left[t]
            chosen.append(t)
            drop(t, 1)
            for other in home_of.get(t, ()):
                drop(other, left[other])
            for j2 in values_of[t]:
                count[j2] += 1
                if count[j2] >= quotas[j2].max:
                    for t2 in of_value[j2]:
                        drop(t2, left[t2])
        if len(chosen) == size and all(q.min <= count[j] <= q.max for j, q in enumerate(quotas)):
            return chosen
    return None


def _legacy(pool: Pool, size: int, profiles, members, runs: int, rng: random.Random):
    hits = Counter()
    done = 0
    for _ in range(runs):
        got = _legacy_once(pool, size, profiles, members, rng)
        if got is None:
            if not done:
                break  # 100 attempts in a row failed: the greedy cannot fill these quotas
            continue
        done += 1
        hits.update(got)
    return hits, done


def legacy_panel(pool: Pool, size: int, seed: str) -> list[str]:
    """One legacy greedy draw from the seed (for comparison only: not a fair lottery)."""
    profiles, members = _profiles(pool)
    rng = random.Random(seed_commitment(seed))
    got = _legacy_once(pool, size, profiles, members, rng)
    if got is None:
        raise SelectionError("The legacy greedy draw failed to meet the quotas after 100 attempts.")
    taken = Counter(got)
    out = []
    for t in sorted(taken):
        out.extend(pool.ids[i] for i in sorted(members[t], key=lambda i: rng.random())[:taken[t]])
    return out


# ---------------------------------------------------------------- entry point

def select(pool: Pool, size: int, algorithm: str = "maximin", *, tol: float = 1e-6,
           legacy_runs: int = 1000, rng_seed: int = 0) -> SelectionResult:
    """Compute the selection probabilities and the lottery over panels.

    Raises :class:`Infeasible` (with the relaxation) when no panel meets the
    quotas, ``ValueError`` for an unknown algorithm or a size out of range.
    ``legacy`` has no exact lottery: its probabilities come from
    ``legacy_runs`` draws and its lottery is those draws, equally likely.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    if size < 1 or size > len(pool.ids):
        raise SelectionError(f"The panel size must be between 1 and the pool size ({len(pool.ids)}).")
    start = time.perf_counter()
    check_feasible(pool, size)
    rng = random.Random(rng_seed)
    profiles, members = _profiles(pool)
    counts = [len(m) for m in members]
    iterations, gap = 0, 0.0
    if algorithm == "legacy":
        hits, done = _legacy(pool, size, profiles, members, legacy_runs, rng)
        probabilities = {}
        for t, m in enumerate(members):
            for i in m:
                probabilities[pool.ids[i]] = hits[t] / max(done, 1) / len(m)
        probabilities = {pid: probabilities[pid] for pid in pool.ids}
        return SelectionResult(algorithm, size, probabilities, [], profiles, members,
                               time.perf_counter() - start, done)
    pricing = _Pricing(pool, size, profiles, members)
    panels = _initial_panels(pricing, counts, rng)
    if algorithm == "maximin":
        swaps = None if _shared_households(pool) else _Swaps(pool, profiles, members)
        panels, lam, iterations, gap = _maximin(pricing, counts, panels, tol, swaps=swaps)
    else:
        panels, lam, iterations = _nash(pricing, counts, panels)
    lottery = sorted(((w, {t: c for t, c in enumerate(p) if c}) for p, w in zip(panels, lam, strict=True)
                      if w > 1e-12), key=lambda x: sorted(x[1].items()))
    total = sum(w for w, _ in lottery)
    lottery = [(w / total, p) for w, p in lottery]
    per_profile = [0.0] * len(profiles)
    for w, p in lottery:
        for t, c in p.items():
            per_profile[t] += w * c / counts[t]
    probabilities = {}
    for t, m in enumerate(members):
        for i in m:
            probabilities[pool.ids[i]] = per_profile[t]
    probabilities = {pid: probabilities[pid] for pid in pool.ids}
    return SelectionResult(algorithm, size, probabilities, lottery, profiles, members,
                           time.perf_counter() - start, iterations, gap)


# ---------------------------------------------------------------- verifiable draw

def uniform(seed: str, j: int) -> float:
    """The j-th public uniform number in [0, 1) from the seed (see the module docstring)."""
    digest = hashlib.sha256(f"{seed}:{j}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def seed_commitment(seed: str) -> str:
    """The hash published before the draw when the seed itself is revealed after."""
    return hashlib.sha256(seed.encode()).hexdigest()


def _partial_shuffle(items: list, n: int, seed: str, counter: int) -> tuple[list, int]:
    items = list(items)
    m = len(items)
    for i in range(n):
        k = i + int(uniform(seed, counter) * (m - i))
        counter += 1
        items[i], items[k] = items[k], items[i]
    return items[:n], counter


def draw_panel(result: SelectionResult, pool: Pool, seed: str,
               exclude: Iterable[str] = ()) -> list[str]:
    """Draw the panel from the lottery with the public seed; same seed, same panel."""
    if not result.lottery:
        raise ValueError("this selection has no lottery to draw from")
    u = uniform(seed, 0)
    acc, chosen = 0.0, result.lottery[-1][1]
    for w, panel in result.lottery:
        acc += w
        if u < acc:
            chosen = panel
            break
    counter, out = 1, []
    for t in sorted(chosen):
        picked, counter = _partial_shuffle(result.members[t], chosen[t], seed, counter)
        out.extend(pool.ids[i] for i in picked)
    return out


def sample_uniform(items: Sequence, n: int, seed: str) -> list:
    """A uniform sample of n items (stage-1 invitations), recomputable from the seed."""
    return _partial_shuffle(list(items), min(n, len(items)), seed, 0)[0]


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of the probabilities (0 = everyone equal)."""
    xs = sorted(values)
    n, s = len(xs), sum(xs)
    if n == 0 or s == 0:
        return 0.0
    cum = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * cum) / (n * s) - (n + 1) / n


def _household_rows(h, pool, members) -> None:
    """At most one selected person per household: one row per household
    whose members fall in several profile columns."""
    import highspy

    homes: dict[str, list[int]] = defaultdict(list)
    for t, m in enumerate(members):
        for i in m:
            if pool.households and pool.households[i]:
                homes[pool.households[i]].append(t)
    for ts in homes.values():
        if len(ts) > 1:
            h.addRow(-highspy.kHighsInf, 1.0, len(ts), ts, [1.0] * len(ts))
