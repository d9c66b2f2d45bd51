"""civic.core.datasets: the registry through which modules publish open data."""

import pytest

from civic.core import datasets
from civic.core.datasets import Dataset, Field


def _ds(name="test-things", kind="thing", **kw):
    base = dict(
        name=name, kind=kind, title_en="Things", title_fr="Choses",
        description_en="All things.", description_fr="Toutes les choses.",
        method_en="Counted.", method_fr="Comptées.",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True}),
                Field("title", "string", "Title", "Titre")),
        rows=lambda: iter([(1, "a"), (2, "b")]),
    )
    base.update(kw)
    return Dataset(**base)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(datasets, "_DATASETS", {})
    return datasets


def test_register_is_idempotent_and_lists_by_name(registry):
    registry.register_dataset(_ds("zeta"))
    registry.register_dataset(_ds("alpha", shown_at=("things.index",)))
    registry.register_dataset(_ds("zeta"))  # a second app in the same process
    assert [d.name for d in registry.datasets()] == ["alpha", "zeta"]
    assert registry.get_dataset("alpha").header == ["id", "title"]
    assert registry.get_dataset("missing") is None
    assert [d.name for d in registry.shown_at("things.index")] == ["alpha"]
    assert list(registry.get_dataset("zeta").rows()) == [(1, "a"), (2, "b")]
    assert registry.get_dataset("zeta").updated_at() is None


def test_two_modules_cannot_claim_one_name(registry):
    registry.register_dataset(_ds("things", kind="a"))
    with pytest.raises(ValueError):
        registry.register_dataset(_ds("things", kind="b"))


def test_bad_declarations_are_refused():
    with pytest.raises(ValueError):
        Field("x", "text", "X", "X")
    with pytest.raises(ValueError):
        _ds("Bad Name")
    with pytest.raises(ValueError):
        _ds(fields=(Field("x", "string", "X", "X"), Field("x", "integer", "X", "X")))


def test_localised_texts():
    ds = _ds()
    assert ds.title("fr") == "Choses" and ds.title("en") == "Things" and ds.title(None) == "Things"
    assert ds.method("fr") == "Comptées." and ds.description("en") == "All things."
