"""The opinion-group math (civic.conversations.groups) on hand-built and real data."""

import csv
import gzip
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from civic.conversations import groups, polis

DATA = Path(__file__).parent / "data"


def _votes_from_dense(matrix):
    """Dense matrix with np.nan for missing -> the three vote arrays."""
    p, s = np.nonzero(~np.isnan(matrix))
    return p, s, matrix[p, s]


def _two_camps(n_per_camp=40, n_statements=20, consensus=(0, 1), seed=1, missing=0.3):
    """Camp A agrees with statements 2..10 and disagrees with 11..19, camp B the reverse;
    everybody agrees with the consensus statements. Some votes are missing, some noisy."""
    rng = np.random.default_rng(seed)
    rows = []
    for camp in (1, -1):
        for _ in range(n_per_camp):
            row = np.empty(n_statements)
            for s in range(n_statements):
                if s in consensus:
                    row[s] = 1
                else:
                    row[s] = camp if s < n_statements // 2 + 1 else -camp
                if rng.random() < 0.1:
                    row[s] = rng.choice([1, -1, 0])
            row[rng.random(n_statements) < missing] = np.nan
            row[list(consensus)] = 1
            rows.append(row)
    return np.array(rows)


def test_two_hand_built_camps_are_recovered():
    matrix = _two_camps()
    result = groups.compute(*_votes_from_dense(matrix))
    assert result.n_groups == 2
    truth = [0] * 40 + [1] * 40
    found = [result.group_of()[p] for p in range(80)]
    assert adjusted_rand_score(truth, found) == 1.0


def test_three_hand_built_camps_are_recovered():
    rng = np.random.default_rng(3)
    profiles = np.array([[1] * 6 + [-1] * 6 + [0] * 6,
                         [-1] * 6 + [1] * 6 + [-1] * 6,
                         [-1] * 6 + [-1] * 6 + [1] * 6], dtype=float)
    rows, truth = [], []
    for g, profile in enumerate(profiles):
        for _ in range(30):
            row = profile.copy()
            row[rng.random(18) < 0.2] = np.nan
            rows.append(row)
            truth.append(g)
    result = groups.compute(*_votes_from_dense(np.array(rows)))
    assert result.n_groups == 3
    found = [result.group_of()[p] for p in range(90)]
    assert adjusted_rand_score(truth, found) == 1.0


def test_consensus_ranks_above_one_group_favourites():
    result = groups.compute(*_votes_from_dense(_two_camps()))
    order = result.consensus_order()
    # the two statements both camps agree with come first; a statement only camp A
    # loves (statement 2) ranks below them although many people agreed with it
    assert set(order[:2]) == {0, 1}
    assert order.index(2) > 1
    # and it is among the divisive ones
    assert 2 in result.divisive_order()[:10]


def test_participants_with_fewer_than_seven_votes_are_left_out():
    matrix = _two_camps(missing=0.0)
    matrix[5, 6:] = np.nan  # participant 5 voted on 6 statements only
    result = groups.compute(*_votes_from_dense(matrix))
    assert 5 not in result.group_of()
    assert len(result.group_of()) == 79


def test_sparse_projection_scales_people_who_voted_little():
    """A participant with the same votes as another but on half the statements is
    pushed out by sqrt(n_statements / n_votes), as in Polis."""
    matrix = _two_camps(missing=0.0)
    matrix[0] = matrix[1]
    matrix[0, 10:] = np.nan
    p, s, v = _votes_from_dense(matrix)
    result = groups.compute(p, s, v)
    centred_partial = np.zeros(20)
    means = np.nanmean(matrix, axis=0)
    centred_partial[:10] = matrix[0, :10] - means[:10]
    expected = (centred_partial @ result.components.T) * np.sqrt(20 / 10)
    assert np.allclose(result.coords[0], expected)


def test_representative_statements_distinguish_each_group():
    result = groups.compute(*_votes_from_dense(_two_camps()))
    for reps in result.representative:
        assert reps, "each group has at least one representative statement"
        assert all(s not in (0, 1) for s, _, _ in reps)  # consensus is not representative


def test_a_later_vote_replaces_an_earlier_one():
    p, s, v = groups.dedupe_votes([0, 0, 1], [3, 3, 3], [1, -1, 0], order=[1, 2, 0])
    assert sorted(zip(p.tolist(), s.tolist(), v.tolist(), strict=True)) == [(0, 3, -1.0), (1, 3, 0.0)]


def test_groups_agree_with_the_ones_polis_found_on_brexit_consensus():
    """Polis open data, brexit-consensus: adjusted Rand index 0.876 with Polis' own groups
    (0.834 on vtaiwan.uberx, 0.838 on canadian-electoral-reform measured the same way)."""
    with gzip.open(DATA / "brexit-consensus-votes.csv.gz", "rt", encoding="utf-8") as f:
        votes = polis.read_votes(f)
    result = groups.compute(votes.participants, votes.statements, votes.values)
    with open(DATA / "brexit-consensus-groups.csv", encoding="utf-8") as f:
        theirs = {r["participant"]: int(r["group-id"]) for r in csv.DictReader(f)}
    ours = {votes.voter_ids[p]: g for p, g in result.group_of().items()}
    common = sorted(set(ours) & set(theirs))
    assert len(common) >= 0.9 * len(theirs)
    assert result.n_groups == 2
    ari = adjusted_rand_score([ours[c] for c in common], [theirs[c] for c in common])
    assert ari > 0.8


def test_memory_is_sparse():
    """The centred matrix handed to the SVD has one stored cell per vote."""
    rng = np.random.default_rng(0)
    p = rng.integers(0, 5000, 20000)
    s = rng.integers(0, 300, 20000)
    p, s, v = groups.dedupe_votes(p, s, rng.choice([1.0, -1.0, 0.0], 20000))
    values, seen = groups.rating_matrix(p, s, v, 5000, 300)
    assert seen.nnz == len(v)
    result = groups.compute(p, s, v, 5000, 300)
    assert result.agree.shape == (result.n_groups, 300)
