"""The selection core: quotas on every panel, probabilities sum to K, same seed same panel,
infeasible quotas explained with their relaxation, households, and the maximin optimum."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from civic.assemblies import selection as s

CATEGORIES = """category,feature,min,max
gender,f,2,3
gender,m,2,3
age,young,1,2
age,old,3,4
"""


def respondents(n=20, seed=3, rare_young=True):
    rng = random.Random(seed)
    lines = ["id,gender,age"]
    for i in range(n):
        age = "young" if (i % 7 == 0 if rare_young else rng.random() < 0.5) else "old"
        lines.append(f"v{i},{rng.choice(['f', 'm'])},{age}")
    return "\n".join(lines) + "\n"


def pool(text=None, cats=CATEGORIES, **kw):
    return s.parse_respondents(text or respondents(), s.parse_categories(cats), **kw)


def meets(p, panel):
    counts = Counter()
    for pid in panel:
        i = p.ids.index(pid)
        for c, v in p.features[i].items():
            counts[(c, v)] += 1
    return all(q.min <= counts[(q.category, q.value)] <= q.max for q in p.quotas)


@pytest.mark.parametrize("algorithm", ["maximin", "nash"])
def test_every_panel_meets_quotas_and_probabilities_sum_to_size(algorithm):
    p = pool()
    res = s.select(p, 5, algorithm)
    assert sum(res.probabilities.values()) == pytest.approx(5, abs=1e-6)
    assert sum(w for w, _ in res.lottery) == pytest.approx(1)
    for seed in range(40):
        panel = s.draw_panel(res, p, f"seed-{seed}")
        assert len(panel) == len(set(panel)) == 5
        assert meets(p, panel)


def test_legacy_panels_meet_quotas():
    p = pool()
    res = s.select(p, 5, "legacy", legacy_runs=200)
    assert sum(res.probabilities.values()) == pytest.approx(5)
    assert meets(p, s.legacy_panel(p, 5, "abc"))


def test_same_seed_same_panel_and_seeds_differ():
    p = pool()
    res = s.select(p, 5)
    assert s.draw_panel(res, p, "2026-12-02 lotto 4 12 19") == s.draw_panel(res, p, "2026-12-02 lotto 4 12 19")
    panels = {tuple(s.draw_panel(res, p, str(k))) for k in range(30)}
    assert len(panels) > 1
    assert s.uniform("x", 0) == int.from_bytes(__import__("hashlib").sha256(b"x:0").digest()[:8], "big") / 2**64


def test_maximin_beats_legacy_and_is_optimal_on_a_hand_case():
    # 4 young among 20, 1 or 2 needed on a panel of 5: maximin gives every young person
    # and every old person the best possible floor.
    p = pool()
    res = s.select(p, 5)
    legacy = s.select(p, 5, "legacy", legacy_runs=400)
    assert res.min_probability >= legacy.min_probability - 0.02
    assert res.min_probability > 0.2


def test_infeasible_quotas_give_message_and_relaxation():
    cats = CATEGORIES.replace("age,young,1,2", "age,young,4,5")
    p = pool(cats=cats)
    with pytest.raises(s.Infeasible) as err:
        s.select(p, 5)
    assert "No panel of 5 meets these quotas" in err.value.message
    changed = {(q.category, q.value): (lo, hi) for q, lo, hi in err.value.relaxation}
    assert changed, "a relaxation is proposed"
    # applying the relaxation makes the quotas feasible
    rows = ["category,feature,min,max"]
    for q in p.quotas:
        lo, hi = changed.get((q.category, q.value), (q.min, q.max))
        rows.append(f"{q.category},{q.value},{lo},{hi}")
    fixed = pool(cats="\n".join(rows) + "\n")
    assert s.select(fixed, 5).min_probability >= 0


def test_households_at_most_one_per_address():
    lines = ["id,gender,age,address"]
    for i in range(20):
        lines.append(f"v{i},{'f' if i % 2 else 'm'},{'young' if i % 5 == 0 else 'old'},{i // 2} rue de la Paix")
    p = pool("\n".join(lines) + "\n", address_columns=["address"])
    res = s.select(p, 5)
    assert sum(res.probabilities.values()) == pytest.approx(5, abs=1e-6)
    for seed in range(30):
        panel = s.draw_panel(res, p, str(seed))
        homes = [p.households[p.ids.index(x)] for x in panel]
        assert len(set(homes)) == 5 and meets(p, panel)


@pytest.mark.parametrize("text, message", [
    ("id,gender\nv1,f\n", "no column for: age"),
    ("id,gender,age\nv1,f,middle\n", "age 'middle' is not one of"),
    ("id,gender,age\nv1,f,old\nv1,m,old\n", "appears twice"),
])
def test_bad_respondents_are_refused_with_line(text, message):
    with pytest.raises(s.SelectionError, match=message):
        pool(text)


def test_categories_accept_name_and_feature_value_headers():
    a = s.parse_categories("category,name,min,max\ng,f,1,2\n")
    b = s.parse_categories("feature,value,min,max\ng,f,1,2\n")
    assert a == b == [s.Quota("g", "f", 1, 2)]
    with pytest.raises(s.SelectionError, match="min 3 is above max 2"):
        s.parse_categories("category,feature,min,max\ng,f,3,2\n")


def test_id_defaults_to_row_number():
    p = pool("gender,age\nf,old\nm,young\n")
    assert p.ids == ["0", "1"]


def test_gini():
    assert s.gini([1, 1, 1]) == 0
    assert s.gini([0, 0, 1]) == pytest.approx(2 / 3)


def test_accelerated_maximin_has_the_plain_optimum_and_only_quota_panels():
    """Dual smoothing and the one-swap panels change how fast column generation
    gets there, not where: the same optimum as the plain loop, and every panel
    of the lottery meets the quotas and the profiles' sizes."""
    rng = random.Random(11)
    lines = ["id,gender,age,area"]
    for i in range(300):
        lines.append(f"v{i},{rng.choices(['f', 'm'], [0.65, 0.35])[0]},"
                     f"{rng.choices(['young', 'old'], [0.15, 0.85])[0]},{rng.choice(['n', 's', 'e'])}")
    cats = CATEGORIES.replace("2,3", "9,11").replace("age,young,1,2", "age,young,7,9") \
        .replace("age,old,3,4", "age,old,11,13") + "area,n,5,8\narea,s,5,8\narea,e,5,8\n"
    p = pool("\n".join(lines) + "\n", cats=cats)
    fast = s.select(p, 20)
    profiles, members = s._profiles(p)
    counts = [len(m) for m in members]
    pricing = s._Pricing(p, 20, profiles, members)
    plain_panels = s._initial_panels(pricing, counts, random.Random(0))
    plain = s._maximin(pricing, counts, plain_panels, 1e-6, smoothing=0.0, swaps=None)
    plain_min = min(sum(w * pan[t] for pan, w in zip(plain[0], plain[1], strict=True)) / counts[t]
                    for t in range(len(counts)))
    assert fast.min_probability == pytest.approx(plain_min, abs=1e-6)
    assert sum(fast.probabilities.values()) == pytest.approx(20, abs=1e-6)
    for _, panel in fast.lottery:
        assert sum(panel.values()) == 20 and all(c <= counts[t] for t, c in panel.items())
        tally = Counter()
        for t, c in panel.items():
            for k, cat in enumerate(p.categories):
                tally[(cat, profiles[t][k])] += c
        assert all(q.min <= tally[(q.category, q.value)] <= q.max for q in p.quotas)
