"""The tally is pure: plain questions and answers in, figures out (no database)."""

from __future__ import annotations

from types import SimpleNamespace as NS

from civic.consultations import tally


def _question(id, kind, labels=(), **extra):
    return NS(id=id, position=id, kind=kind, prompt=f"Q{id}", required=True, max_choices=extra.get("max_choices"),
              allow_other=extra.get("allow_other", False),
              choices=[NS(id=id * 10 + i, label=label) for i, label in enumerate(labels, 1)])


def test_a_tally_needs_no_database_and_applies_the_k_rule_per_district():
    single = _question(1, "single", ["A", "B"], allow_other=True)
    ranking = _question(2, "ranking", ["X", "Y", "Z"], max_choices=2)
    scale = _question(3, "scale")
    text = _question(4, "text")
    districts = {7: NS(code="T07", name="Sept"), 8: NS(code="T08", name="Huit")}
    responses = ([(7, {"1": {"choices": [11]}, "2": {"choices": [21, 22]}, "3": {"value": 5}})] * 10
                 + [(8, {"1": {"choices": [12]}, "2": {"choices": [23]}, "3": {"value": 1}})] * 3
                 + [(None, {"1": {"other": "C"}, "4": {"text": "idée"}})])
    r = tally.results([single, ranking, scale, text], responses, districts, paper=2)
    assert r["total"] == 14 and r["paper"] == 2 and r["no_district"] == 1 and r["k"] == tally.K_ANONYMITY
    assert [(d["code"], d["count"]) for d in r["participation_by_district"]] == [("T07", 10), ("T08", 3)]
    q1, q2, q3, q4 = r["questions"]
    assert [(c["label"], c["count"], c["percent"]) for c in q1["choices"]] == [("A", 10, 71.4), ("B", 3, 21.4)]
    assert q1["other"] == {"count": 1, "percent": 7.1}
    # Ten answers in T07 are published; three in T08 are only counted as suppressed.
    assert [g["code"] for g in q1["by_district"]] == ["T07"] and q1["suppressed_districts"] == 1
    # Borda with K = 2: first place 2 points, second 1.
    assert [(row["label"], row["borda"]) for row in q2["ranking"]] == [("X", 20), ("Y", 10), ("Z", 6)]
    assert q2["max_borda"] == 2 * 13
    assert [s["count"] for s in q3["scale"]] == [3, 0, 0, 0, 10] and q3["agree_percent"] == round(1000 / 13, 1)
    assert q4["answered"] == 1 and q4["published_texts"] == 0 and "by_district" not in q4


def test_nobody_answering_gives_zeros_not_errors():
    q = _question(1, "scale")
    r = tally.results([q], [], {})
    assert r["total"] == 0 and r["questions"][0]["mean"] is None and r["questions"][0]["agree_percent"] == 0.0
