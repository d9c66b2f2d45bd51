"""flask civic assemblies select CATEGORIES.csv RESPONDENTS.csv --size K [--json]:
what an organiser reads and what a script parses."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.assemblies.test_selection import CATEGORIES, respondents

EXAMPLES = Path(__file__).resolve().parents[2] / "civic" / "assemblies" / "examples"
JSON_KEYS = {"probabilities", "panel", "min_probability", "algorithm", "seconds"}


@pytest.fixture
def files(tmp_path):
    cats, resp = tmp_path / "categories.csv", tmp_path / "respondents.csv"
    cats.write_text(CATEGORIES, encoding="utf-8")
    resp.write_text(respondents(), encoding="utf-8")
    return cats, resp


@pytest.fixture
def run(app):
    def run(*args):
        return app.test_cli_runner().invoke(args=["civic", "assemblies", "select", *map(str, args)])
    return run


def last_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def features(path: Path) -> dict[str, dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    return {row.split(",")[0]: dict(zip(header, row.split(","), strict=True)) for row in lines[1:]}


def quotas(path: Path) -> list[tuple[str, str, int, int]]:
    return [(c, v, int(lo), int(hi)) for c, v, lo, hi in
            (line.split(",") for line in path.read_text(encoding="utf-8").splitlines()[1:])]


def assert_meets_quotas(panel, cats_path, resp_path):
    people = features(resp_path)
    categories = {c for c, *_ in quotas(cats_path)}
    counts = Counter((c, people[pid][c]) for pid in panel for c in categories)
    for c, v, lo, hi in quotas(cats_path):
        assert lo <= counts[(c, v)] <= hi, (c, v, counts[(c, v)])


@pytest.mark.parametrize("algorithm", ["maximin", "nash", "legacy"])
def test_json_panel_meets_the_quotas_and_probabilities_sum_to_the_size(run, files, algorithm):
    cats, resp = files
    out = last_json(run(cats, resp, "--size", 5, "--algorithm", algorithm, "--seed", "s1", "--json"))
    assert set(out) >= JSON_KEYS
    assert out["algorithm"] == algorithm and out["seed"] == "s1"
    assert len(out["panel"]) == len(set(out["panel"])) == 5
    assert_meets_quotas(out["panel"], cats, resp)
    assert set(out["probabilities"]) == set(features(resp))
    assert sum(out["probabilities"].values()) == pytest.approx(5, abs=1e-6)
    assert out["min_probability"] == pytest.approx(min(out["probabilities"].values()))
    assert all(0 <= p <= 1 + 1e-9 for p in out["probabilities"].values())
    assert out["seconds"] >= 0
    assert {(q["category"], q["value"], q["min"], q["max"]) for q in out["quotas"]} == set(quotas(cats))


def test_the_json_object_is_the_whole_last_line(run, files):
    result = run(*files, "--size", 5, "--json")
    lines = result.output.strip().splitlines()
    out = json.loads(lines[-1])
    assert lines[-1].startswith("{") and lines[-1].endswith("}")
    assert len(out["seed"]) == 16  # chosen at random and given back, so the draw can be redone


def test_same_seed_same_panel_and_other_seeds_differ(run, files):
    first = last_json(run(*files, "--size", 5, "--seed", "2026-12-03 loto", "--json"))
    again = last_json(run(*files, "--size", 5, "--seed", "2026-12-03 loto", "--json"))
    assert first["panel"] == again["panel"]
    assert first["seed_commitment"] == again["seed_commitment"]
    others = {tuple(last_json(run(*files, "--size", 5, "--seed", f"autre-{k}", "--json"))["panel"])
              for k in range(6)}
    assert len(others) > 1


def test_human_output_shows_probabilities_quotas_seed_and_panel(run, files):
    result = run(*files, "--size", 5, "--seed", "public")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Algorithm: maximin. Pool: 20 volunteers" in text
    assert "Selection probabilities: lowest" in text and "sum 5.0000" in text
    assert "Seed: public" in text and "Seed commitment (SHA-256): " in text
    assert "age / young" in text and "(min 1, max 2)" in text
    assert "Panel (5):" in text
    assert not text.strip().splitlines()[-1].startswith("{")


def test_infeasible_quotas_exit_2_with_the_relaxation(run, tmp_path, files):
    _, resp = files
    cats = tmp_path / "impossible.csv"
    cats.write_text(CATEGORIES.replace("age,young,1,2", "age,young,4,5"), encoding="utf-8")
    result = run(cats, resp, "--size", 5, "--json")
    assert result.exit_code == 2
    assert "No panel of 5 meets these quotas" in result.output
    assert "The smallest change that makes it possible: " in result.output
    assert "age / young: min 4 →" in result.output
    assert "{" not in result.output


def test_quotas_written_for_a_larger_panel_get_a_relaxation_too(run, tmp_path, files):
    """A min more than twice the panel size: the message still says how far to lower it."""
    _, resp = files
    cats = tmp_path / "larger.csv"
    cats.write_text(CATEGORIES.replace("age,old,3,4", "age,old,5,6"), encoding="utf-8")
    result = run(cats, resp, "--size", 2)
    assert result.exit_code == 2
    assert "No panel of 2 meets these quotas" in result.output
    assert "age / old: min 5 → " in result.output
    assert "The pool is smaller than the panel" not in result.output


@pytest.mark.parametrize("text, message", [
    ("id,gender\nv1,f\n", "no column for: age"),
    ("id,gender,age\nv1,f,old\nv2,f,middle\n", "Respondents line 3: age 'middle' is not one of"),
])
def test_an_unreadable_respondents_file_exits_1_with_the_line(run, tmp_path, files, text, message):
    cats, _ = files
    resp = tmp_path / "bad.csv"
    resp.write_text(text, encoding="utf-8")
    result = run(cats, resp, "--size", 1)
    assert result.exit_code == 1
    assert message in result.output


def test_a_size_above_the_pool_or_a_file_not_utf8_is_refused(run, tmp_path, files):
    cats, resp = files
    result = run(cats, resp, "--size", 21)
    assert result.exit_code == 1 and "between 1 and the pool size (20)" in result.output
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("id,gender,age\nv1,f,\xe2ge\n".encode("latin-1"))
    result = run(cats, latin, "--size", 1)
    assert result.exit_code == 1 and "is not UTF-8" in result.output


def test_the_toulouse_example_with_one_person_per_household(run):
    cats, resp = EXAMPLES / "toulouse_categories.csv", EXAMPLES / "toulouse_respondents.csv"
    out = last_json(run(cats, resp, "--size", 40, "--seed", "démo-toulouse", "--address-columns", "adresse",
                        "--json"))
    assert len(out["panel"]) == 40
    assert_meets_quotas(out["panel"], cats, resp)
    homes = [features(resp)[pid]["adresse"] for pid in out["panel"]]
    assert len(set(homes)) == 40
    assert sum(out["probabilities"].values()) == pytest.approx(40, abs=1e-5)
    assert out["min_probability"] > 0.03
