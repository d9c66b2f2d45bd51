"""Registry of open datasets ("open data by default", issue 20).

Each domain declares, in its ``kind.py``, the public figures it publishes as
:class:`Dataset` objects: a stable name, bilingual titles and method notes, a
Frictionless Table Schema (:class:`Field`) and a ``rows()`` callable that
streams the rows in a stable order with flat memory (``core.export.chunked``).
The open-data package serves the catalogue, the documentation pages, CSV,
JSON, Data Packages and DCAT from this registry alone, so it never imports a
domain package, and a new module publishes its data by registering here.

A dataset never carries personal data: no email, IP address, signer name nor
who-answered-what; authors appear by public display name only where the site
itself shows them. ``tests/opendata`` scans every registered dataset for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from civic.extensions import db

# The Frictionless Table Schema types a field may declare.
FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "datetime")


@dataclass(frozen=True)
class Field:
    """One column of a dataset; ``type`` is a Frictionless Table Schema type,
    ``constraints`` Table Schema constraints (``{"required": True, "minimum": 0}``)."""

    name: str
    type: str
    description_en: str
    description_fr: str
    constraints: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name!r}: unknown type {self.type!r}")

    def __hash__(self):  # constraints is a dict: hash on the rest
        return hash((self.name, self.type))


def _none():
    return None


@dataclass(frozen=True)
class Dataset:
    """One published dataset.

    name: the slug, unique across the site ("petitions").
    kind: the declaring module or content kind ("petition").
    method_en / method_fr: how each figure is computed and its known limits.
    rows(): the rows, tuples in the order of ``fields``, in a stable order.
    updated_at(): the latest change of the underlying data (naive UTC) or None.
    bulk: True for large datasets served from the nightly dump, not live.
    changelog: ``(ISO date, change)`` pairs of schema changes, oldest first.
    shown_at: endpoints of pages that show these figures (they link the doc page).
    """

    name: str
    kind: str
    title_en: str
    title_fr: str
    description_en: str
    description_fr: str
    method_en: str
    method_fr: str
    fields: tuple[Field, ...]
    rows: Callable[[], Iterable[tuple]]
    updated_at: Callable[[], datetime | None] = _none
    bulk: bool = False
    changelog: tuple[tuple[str, str], ...] = ()
    shown_at: tuple[str, ...] = ()

    def __post_init__(self):
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset {self.name!r}: duplicate field names")
        if not self.name or not all(c.isascii() and (c.isalnum() or c == "-") for c in self.name) \
                or self.name != self.name.lower():
            raise ValueError(f"dataset name {self.name!r}: lowercase letters, digits and dashes only")

    def title(self, locale: str | None) -> str:
        return self.title_fr if locale == "fr" else self.title_en

    def description(self, locale: str | None) -> str:
        return self.description_fr if locale == "fr" else self.description_en

    def method(self, locale: str | None) -> str:
        return self.method_fr if locale == "fr" else self.method_en

    @property
    def header(self) -> list[str]:
        return [f.name for f in self.fields]


_DATASETS: dict[str, Dataset] = {}


def register_dataset(ds: Dataset) -> None:
    """Register (or re-register, for app factories called twice) a dataset.
    A second *different* module claiming the same name is a programming error."""
    old = _DATASETS.get(ds.name)
    if old is not None and old.kind != ds.kind:
        raise ValueError(f"dataset {ds.name!r} already declared by {old.kind!r}")
    _DATASETS[ds.name] = ds


def datasets() -> list[Dataset]:
    """Every registered dataset, by name."""
    return sorted(_DATASETS.values(), key=lambda d: d.name)


def get_dataset(name: str) -> Dataset | None:
    return _DATASETS.get(name)


def shown_at(endpoint: str) -> list[Dataset]:
    """The datasets whose figures the page ``endpoint`` shows (for its
    "Open data" link)."""
    return [d for d in datasets() if endpoint in d.shown_at]


# --- participation by district and month -------------------------------------------
# One dataset counts every kind of participation; each module contributes the
# counts of its own activity here, so the open-data package reads no table.

@dataclass(frozen=True)
class Activity:
    """One kind of participation (``"petition_signatures"``) and its counts:
    ``counts()`` yields ``(month "YYYY-MM" in UTC, district_id or None, n)``.
    ``method_*`` say what is counted and which district it is placed in."""

    name: str
    label_en: str
    label_fr: str
    method_en: str
    method_fr: str
    counts: Callable[[], Iterable[tuple[str, int | None, int]]]


_ACTIVITIES: dict[str, Activity] = {}


def register_activity(activity: Activity) -> None:
    """Register (idempotently) one kind of participation."""
    _ACTIVITIES[activity.name] = activity


def activities() -> list[Activity]:
    return sorted(_ACTIVITIES.values(), key=lambda a: a.name)


def month_of(column):
    """SQL expression of a timestamp column's month, ``'YYYY-MM'`` (PostgreSQL
    or SQLite), for the activities' GROUP BY."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)
