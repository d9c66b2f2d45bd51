"""Opinion groups from agree / disagree / pass votes, following Polis' published math.

Pure functions on arrays: no database, no Flask. The caller hands in the votes as
three parallel arrays (participant index, statement index, value in {1, -1, 0}) and
gets back a :class:`Result`. Memory stays proportional to the number of votes: the
participants x statements matrix is only ever held as a ``scipy.sparse`` matrix.

The steps, each as in polismath (math/src/polismath/math/conversation.clj, pca.clj,
clusters.clj, repness.clj):

1. The rating matrix R (participants x statements): 1 agree, -1 disagree, 0 pass,
   missing when the participant has not seen the statement.
2. PCA to two components of R with every missing cell filled with its column mean.
   Filling with the column mean and then centring makes every missing cell exactly 0,
   so the centred matrix has the sparsity pattern of the votes: we build it directly
   (observed value minus column mean) and hand it to TruncatedSVD, whose right
   singular vectors of an already centred matrix are the principal components.
3. Each participant's projection uses only the statements they voted on and is
   scaled by sqrt(n_statements / n_votes), which pushes people who voted little out
   from the centre they would otherwise collapse onto (pca.clj,
   sparsity-aware-project-ptpt).
4. Participants "in the conversation" are those with at least min(7, n_statements)
   votes (topped up to the 15 most active when fewer).
5. Base clusters: k-means with k = 100 on their projections; then the base-cluster
   centres, weighted by their sizes, are grouped by k-means for k = 2 .. min(5, 2 +
   n_base // 12), and the k with the best silhouette (over the base clusters) wins.
6. For every group g and statement s: na, nd, ns (agrees, disagrees, votes seen),
   pa = (na + 1) / (ns + 2). Group-aware consensus is the product over groups of pa.
   Representativeness compares a group with the rest: ra = pa / ((na_rest + 1) /
   (ns_rest + 2)) and a two-proportion z-test; statements whose agree (or disagree)
   is significant at 90 % both within the group and against the rest are kept,
   sorted by ra * rat * pa * pat, at most 5 per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

MIN_VOTES = 7
GREEDY_N = 15
BASE_K = 100
MAX_K = 5
Z_90 = 1.2816
MAX_REPRESENTATIVE = 5


@dataclass
class Result:
    """What one computation found. Indices refer to the caller's participant and
    statement numbering; ``members`` lists the participants that were clustered."""

    n_participants: int
    n_statements: int
    members: np.ndarray  # participant indices clustered (in-conversation)
    coords: np.ndarray  # (n_participants, 2) projection of every participant
    labels: np.ndarray  # (len(members),) group of each member, 0 = largest group
    n_groups: int
    # per group x statement counts over the members of each group
    agree: np.ndarray = field(repr=False)
    disagree: np.ndarray = field(repr=False)
    seen: np.ndarray = field(repr=False)
    consensus: np.ndarray = field(repr=False)  # (n_statements,) product of pa
    divisive: np.ndarray = field(repr=False)  # (n_statements,) spread of pa
    representative: list = field(repr=False)  # per group: [(statement, "agree"|"disagree", metric)]
    base_centres: np.ndarray = field(repr=False)
    components: np.ndarray = field(repr=False)
    silhouettes: dict = field(default_factory=dict)

    def group_of(self) -> dict:
        """Participant index -> group number, for the clustered participants."""
        return {int(p): int(g) for p, g in zip(self.members, self.labels, strict=True)}

    def consensus_order(self, min_seen: int = 1) -> list:
        """Statement indices, best consensus first; statements no member saw are left out."""
        total_seen = self.seen.sum(axis=0) if self.n_groups else np.zeros(self.n_statements)
        candidates = np.flatnonzero(total_seen >= min_seen)
        return [int(s) for s in candidates[np.argsort(-self.consensus[candidates], kind="stable")]]

    def divisive_order(self, min_seen: int = 1) -> list:
        """Statement indices, the most divisive (groups agree the least alike) first."""
        total_seen = self.seen.sum(axis=0) if self.n_groups else np.zeros(self.n_statements)
        candidates = np.flatnonzero(total_seen >= min_seen)
        return [int(s) for s in candidates[np.argsort(-self.divisive[candidates], kind="stable")]]


def dedupe_votes(participants, statements, values, order=None):
    """Keep the last vote of each (participant, statement) pair; ``order`` is the
    time of each vote (the arrays' order when None), a later vote replacing an earlier one."""
    participants = np.asarray(participants, dtype=np.int64)
    statements = np.asarray(statements, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if order is None:
        order = np.arange(n)
    order = np.asarray(order)
    # stable sort by time, then the last occurrence of each pair wins
    by_time = np.argsort(order, kind="stable")
    key = participants[by_time] * (int(statements.max(initial=0)) + 1) + statements[by_time]
    reversed_key = key[::-1]
    _, first_in_reversed = np.unique(reversed_key, return_index=True)
    keep = by_time[n - 1 - first_in_reversed]
    return participants[keep], statements[keep], values[keep]


def rating_matrix(participants, statements, values, n_participants, n_statements):
    """The sparse participants x statements matrix of values and the matrix of seen cells.

    Passes are 0 and must still count as seen, so the values are kept in a float
    matrix whose explicit zeros are never pruned and the mask in a separate one."""
    shape = (n_participants, n_statements)
    values_m = sparse.csr_matrix((values, (participants, statements)), shape=shape)
    seen_m = sparse.csr_matrix((np.ones(len(values)), (participants, statements)), shape=shape)
    return values_m, seen_m


def _in_conversation(vote_counts: np.ndarray, n_statements: int, min_votes: int) -> np.ndarray:
    threshold = min(min_votes, n_statements)
    members = np.flatnonzero(vote_counts >= threshold)
    if len(members) < GREEDY_N:
        rest = np.setdiff1d(np.flatnonzero(vote_counts > 0), members)
        rest = rest[np.argsort(-vote_counts[rest], kind="stable")][: GREEDY_N - len(members)]
        members = np.sort(np.concatenate([members, rest]))
    return members


def _project(participants, statements, values, n_participants, n_statements, vote_counts):
    """Sparse PCA with missing = column mean, and Polis' sparsity-aware projection."""
    seen_per_statement = np.bincount(statements, minlength=n_statements).astype(np.float64)
    sums = np.bincount(statements, weights=values, minlength=n_statements)
    means = np.divide(sums, seen_per_statement, out=np.zeros(n_statements), where=seen_per_statement > 0)
    centred = sparse.csr_matrix(
        (values - means[statements], (participants, statements)), shape=(n_participants, n_statements)
    )
    n_components = 2 if min(centred.shape) > 2 else 1
    svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=7, random_state=0)
    svd.fit(centred)
    components = svd.components_
    if n_components == 1:
        components = np.vstack([components, np.zeros(n_statements)])
    # A deterministic sign: the largest loading of each component is positive, so that
    # the map does not flip from one computation to the next.
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    raw = centred @ components.T  # only voted cells contribute: missing cells are 0
    scale = np.sqrt(n_statements / np.maximum(vote_counts, 1))
    return np.asarray(raw) * scale[:, None], components


def _group_stats(labels, members, participants, statements, values, n_participants, n_statements, k):
    group_of = np.full(n_participants, -1, dtype=np.int64)
    group_of[members] = labels
    g = group_of[participants]
    inside = g >= 0
    g, s, v = g[inside], statements[inside], values[inside]
    flat = g * n_statements + s
    size = k * n_statements
    agree = np.bincount(flat[v > 0], minlength=size).reshape(k, n_statements)
    disagree = np.bincount(flat[v < 0], minlength=size).reshape(k, n_statements)
    seen = np.bincount(flat, minlength=size).reshape(k, n_statements)
    return agree, disagree, seen


def prop_test(succ, n):
    """Polis' one-proportion z statistic against 1/2 (stats.clj prop-test)."""
    succ, n = succ + 1.0, n + 1.0
    return 2 * np.sqrt(n) * (succ / n - 0.5)


def two_prop_test(succ_in, succ_out, pop_in, pop_out):
    """Polis' two-proportion z statistic (stats.clj two-prop-test)."""
    succ_in, succ_out, pop_in, pop_out = (np.asarray(x, dtype=np.float64) + 1 for x in (succ_in, succ_out, pop_in, pop_out))
    pi1, pi2 = succ_in / pop_in, succ_out / pop_out
    pi_hat = (succ_in + succ_out) / (pop_in + pop_out)
    denom = np.sqrt(pi_hat * (1 - pi_hat) * (1 / pop_in + 1 / pop_out))
    return np.divide(pi1 - pi2, denom, out=np.zeros_like(pi1), where=(pi_hat < 1) & (denom > 0))


def representativeness(agree, disagree, seen):
    """Per group, the statements that set it apart, as in repness.clj."""
    k = agree.shape[0]
    out = []
    for g in range(k):
        na, nd, ns = agree[g], disagree[g], seen[g]
        rna, rnd, rns = agree.sum(0) - na, disagree.sum(0) - nd, seen.sum(0) - ns
        pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
        pat, pdt = prop_test(na, ns), prop_test(nd, ns)
        ra, rd = pa / ((rna + 1) / (rns + 2)), pd / ((rnd + 1) / (rns + 2))
        rat, rdt = two_prop_test(na, rna, ns, rns), two_prop_test(nd, rnd, ns, rns)
        agree_side = rat > rdt
        metric = np.where(agree_side, ra * rat * pa * pat, rd * rdt * pd * pdt)
        test = np.where(agree_side, rat, rdt)
        sufficient = ((rat > Z_90) & (pat > Z_90)) | ((rdt > Z_90) & (pdt > Z_90))
        sufficient &= ns > 0
        if sufficient.any():
            chosen = np.flatnonzero(sufficient)
            chosen = chosen[np.argsort(-metric[chosen], kind="stable")][:MAX_REPRESENTATIVE]
        else:
            candidates = np.flatnonzero(ns > 0)
            chosen = candidates[np.argsort(-test[candidates], kind="stable")][:1]
        out.append([(int(s), "agree" if agree_side[s] else "disagree", float(metric[s])) for s in chosen])
    return out


def _cluster(points: np.ndarray, base_k: int, max_k: int, previous: Result | None):
    n_unique = len(np.unique(points.round(9), axis=0))
    k_base = max(1, min(base_k, n_unique))
    if previous is not None and len(previous.base_centres) == k_base:
        base = KMeans(n_clusters=k_base, init=previous.base_centres, n_init=1, random_state=0).fit(points)
    else:
        base = KMeans(n_clusters=k_base, n_init=1, random_state=0).fit(points)
    centres = base.cluster_centers_
    weights = np.bincount(base.labels_, minlength=k_base).astype(np.float64)
    upper = min(max_k, 2 + k_base // 12, k_base - 1)
    silhouettes = {}
    best = None
    for k in range(2, upper + 1):
        grouping = KMeans(n_clusters=k, n_init=10, random_state=0).fit(centres, sample_weight=weights)
        if len(set(grouping.labels_)) < 2:
            continue
        score = float(silhouette_score(centres, grouping.labels_))
        silhouettes[k] = score
        if best is None or score > best[0]:
            best = (score, k, grouping.labels_)
    if best is None:
        base_groups = np.zeros(k_base, dtype=np.int64)
        k = 1
    else:
        _, k, base_groups = best
    labels = base_groups[base.labels_]
    # Number groups by size, largest first, so that "group A" is stable across runs.
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    rename = np.empty(k, dtype=np.int64)
    rename[order] = np.arange(k)
    return rename[labels], k, centres, silhouettes


def compute(participants, statements, values, n_participants=None, n_statements=None, *,
            min_votes: int = MIN_VOTES, base_k: int = BASE_K, max_k: int = MAX_K,
            previous: Result | None = None) -> Result:
    """Opinion groups, consensus and representative statements from deduplicated votes.

    ``previous`` (the last result of the same conversation) warm-starts the base
    clusters, as Polis does between two updates, which keeps groups stable and makes an
    incremental update cheaper than a first computation."""
    # One thread: the k-means runs are many and small (100 base clusters, then
    # 2..5 groups of them), and OpenMP's thread start-up and spinning cost more
    # than they save; on a busy 2-core worker a computation of 100,000 votes took
    # 4.8 s with the default pool and 0.57 s with one thread (bench_opinion_groups.py).
    with threadpool_limits(limits=1):
        return _compute(participants, statements, values, n_participants, n_statements, min_votes=min_votes,
                        base_k=base_k, max_k=max_k, previous=previous)


def _compute(participants, statements, values, n_participants, n_statements, *, min_votes, base_k, max_k,
             previous) -> Result:
    participants = np.asarray(participants, dtype=np.int64)
    statements = np.asarray(statements, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if n_participants is None:
        n_participants = int(participants.max(initial=-1)) + 1
    if n_statements is None:
        n_statements = int(statements.max(initial=-1)) + 1
    vote_counts = np.bincount(participants, minlength=n_participants)
    empty = np.zeros((0, n_statements))
    if len(values) == 0 or n_statements < 2:
        return Result(n_participants, n_statements, np.zeros(0, dtype=np.int64), np.zeros((n_participants, 2)),
                      np.zeros(0, dtype=np.int64), 0, empty, empty, empty, np.zeros(n_statements),
                      np.zeros(n_statements), [], np.zeros((0, 2)), np.zeros((2, n_statements)))
    coords, components = _project(participants, statements, values, n_participants, n_statements, vote_counts)
    members = _in_conversation(vote_counts, n_statements, min_votes)
    if len(members) < 3:
        labels, k, centres, silhouettes = np.zeros(len(members), dtype=np.int64), 1, coords[members], {}
    else:
        labels, k, centres, silhouettes = _cluster(coords[members], base_k, max_k, previous)
    agree, disagree, seen = _group_stats(labels, members, participants, statements, values,
                                         n_participants, n_statements, k)
    pa = (agree + 1) / (seen + 2)
    consensus = np.prod(pa, axis=0)
    divisive = pa.max(axis=0) - pa.min(axis=0)
    representative = representativeness(agree, disagree, seen) if k > 1 else [[]]
    return Result(n_participants, n_statements, members, coords, labels, k, agree, disagree, seen,
                  consensus, divisive, representative, centres, components, silhouettes)
