"""The results of a consultation, computed from its answers.

Everything here is pure Python on plain data (like ``civic/budgets/rules.py``):
the questions (anything with ``id``, ``position``, ``kind``, ``prompt``,
``required``, ``max_choices``, ``allow_other`` and ``choices`` of ``id`` and
``label``), the responses as ``(district_id, answers)`` pairs and the
districts by id. Nothing is read from or written to the database; the
results job gives the inputs and stores the figures.

- Choice questions: count and percentage per option (and "other").
- Ranking questions: Borda count (first place earns K points, K-th place 1,
  unranked 0, where K is the number of places), average rank, first places.
- Agreement scales: distribution over the 5 points, mean, share agreeing.
- Breakdowns by district only for groups of at least :data:`K_ANONYMITY`
  answers to the question: below that, a group's answers could point at a
  handful of neighbours. Smaller groups are only counted as suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

K_ANONYMITY = 10
SCALE_POINTS = 5

# Question kinds by value (models.QuestionKind is a StrEnum, so either compares).
SINGLE, MULTIPLE, RANKING, SCALE, TEXT = "single", "multiple", "ranking", "scale", "text"


def percent(n: int, total: int) -> float:
    """``n`` out of ``total`` as a percentage with one decimal (0 for no total)."""
    return round(100.0 * n / total, 1) if total else 0.0


def tally_question(q, answers: Iterable[dict | None]) -> dict:
    """Aggregate one question over a list of answers (None = not answered)."""
    given = [a for a in answers if a]
    n = len(given)
    out: dict = {"answered": n}
    if q.kind in (SINGLE, MULTIPLE):
        counts = {ch.id: 0 for ch in q.choices}
        other = 0
        for a in given:
            for cid in a.get("choices", []):
                if cid in counts:
                    counts[cid] += 1
            other += 1 if "other" in a else 0
        out["choices"] = [{"id": ch.id, "label": ch.label, "count": counts[ch.id], "percent": percent(counts[ch.id], n)}
                          for ch in q.choices]
        if q.allow_other:
            out["other"] = {"count": other, "percent": percent(other, n)}
    elif q.kind == RANKING:
        k = q.max_choices or len(q.choices)
        stats = {ch.id: {"ranked": 0, "rank_sum": 0, "borda": 0, "first": 0} for ch in q.choices}
        for a in given:
            for rank, cid in enumerate(a.get("choices", [])[:k], 1):
                if cid in stats:
                    s = stats[cid]
                    s["ranked"] += 1
                    s["rank_sum"] += rank
                    # Borda count: first place earns K points, K-th place 1, unranked 0.
                    s["borda"] += k - rank + 1
                    s["first"] += 1 if rank == 1 else 0
        rows = [{"id": ch.id, "label": ch.label, "ranked": stats[ch.id]["ranked"],
                 "first": stats[ch.id]["first"],
                 "average_rank": round(stats[ch.id]["rank_sum"] / stats[ch.id]["ranked"], 2)
                 if stats[ch.id]["ranked"] else None,
                 "borda": stats[ch.id]["borda"]} for ch in q.choices]
        # Highest Borda score first; ties keep the questionnaire's order.
        out["ranking"] = sorted(rows, key=lambda r: -r["borda"])
        out["places"] = k
        out["max_borda"] = k * n
    elif q.kind == SCALE:
        counts = {v: 0 for v in range(1, SCALE_POINTS + 1)}
        for a in given:
            if a.get("value") in counts:
                counts[a["value"]] += 1
        out["scale"] = [{"value": v, "count": counts[v], "percent": percent(counts[v], n)} for v in counts]
        out["mean"] = round(sum(v * c for v, c in counts.items()) / n, 2) if n else None
        out["agree_percent"] = percent(counts[4] + counts[5], n)
    return out


def results(questions: Sequence, responses: Sequence[tuple[int | None, dict | None]],
            districts: Mapping[int, object], paper: int = 0) -> dict:
    """The published results: every question tallied over every response, with
    breakdowns by district where a group has at least K_ANONYMITY answers to
    the question. ``districts`` maps ids to objects with ``code`` and ``name``;
    ``paper`` is the number of paper participations."""
    by_district: dict[int, list[dict]] = {}
    for district_id, answers in responses:
        if district_id is not None:
            by_district.setdefault(district_id, []).append(answers or {})

    def code_of(district_id):
        return districts[district_id].code if district_id in districts else ""

    out_questions = []
    for q in questions:
        key = str(q.id)
        entry = {"id": q.id, "position": q.position, "kind": str(q.kind), "prompt": q.prompt,
                 "required": q.required, **tally_question(q, [(answers or {}).get(key) for _d, answers in responses])}
        if q.kind == TEXT:
            entry["published_texts"] = 0
        else:
            groups, suppressed = [], 0
            for did in sorted(by_district, key=code_of):
                group = tally_question(q, [a.get(key) for a in by_district[did]])
                if group["answered"] >= K_ANONYMITY:
                    d = districts.get(did)
                    groups.append({"district_id": did, "code": d.code if d else None,
                                   "name": d.name if d else None, **group})
                elif group["answered"]:
                    suppressed += 1
            entry["by_district"] = groups
            entry["suppressed_districts"] = suppressed
        out_questions.append(entry)
    return {
        "k": K_ANONYMITY,
        "total": len(responses),
        "paper": paper or 0,
        "participation_by_district": [
            {"district_id": did, "code": districts[did].code, "name": districts[did].name, "count": len(v)}
            for did, v in sorted(by_district.items(), key=lambda kv: districts[kv[0]].code) if did in districts],
        "no_district": sum(1 for d, _a in responses if d is None),
        "questions": out_questions,
    }


# One row per published figure: the results CSV and the open dataset.
RESULT_COLUMNS = ["question_id", "question", "kind", "district", "option", "measure", "value"]


def result_rows(results: Mapping):
    """The stored results as rows of :data:`RESULT_COLUMNS` (the city as a
    whole first, then each district group that passed :data:`K_ANONYMITY`;
    the suppressed groups are not in ``results`` at all)."""
    for q in results["questions"]:
        groups = [(None, q)] + [(g["code"], g) for g in q.get("by_district", [])]
        for district, g in groups:
            base = [q["id"], q["prompt"], q["kind"], district or "all"]
            yield base + ["", "answered", g["answered"]]
            for ch in g.get("choices", []):
                yield base + [ch["label"], "count", ch["count"]]
                yield base + [ch["label"], "percent", ch["percent"]]
            if "other" in g:
                yield base + ["other", "count", g["other"]["count"]]
            for row in g.get("ranking", []):
                yield base + [row["label"], "borda", row["borda"]]
                yield base + [row["label"], "average_rank", row["average_rank"] if row["average_rank"] else ""]
                yield base + [row["label"], "ranked", row["ranked"]]
            for row in g.get("scale", []):
                yield base + [row["value"], "count", row["count"]]
                yield base + [row["value"], "percent", row["percent"]]
