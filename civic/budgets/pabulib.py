"""Reading and writing participatory-budgeting elections in the pabulib ``.pb`` format.

A ``.pb`` file (see pabulib.org/format) is a semicolon-separated text file made
of three sections, each introduced by a line holding only its name and followed
by a header row::

    META
    key;value
    budget;1070000
    vote_type;approval
    PROJECTS
    project_id;cost;votes;name;selected
    c1;68000;380;Bezpieczny Strażak;1
    VOTES
    voter_id;vote
    v1;c1,c2

This module turns such a file into plain dataclasses (:class:`Election`,
:class:`Project`, :class:`Vote`) and back.  It knows nothing about Flask or the
database: the web layer imports these objects and maps them onto its models.

The parser is tolerant of what real files contain: a UTF-8 byte-order mark,
Windows line endings, blank or trailing empty lines, quoted fields (with ``""``
escapes), ``None`` placeholders, and costs written as ``4000.0`` or ``4000,50``.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

__all__ = [
    "Election",
    "PabulibError",
    "Project",
    "Vote",
    "parse_pb",
    "parse_pb_string",
    "write_pb",
    "write_pb_string",
]

Number = int | float
Source = str | os.PathLike[str] | IO[str]

SECTIONS = ("META", "PROJECTS", "VOTES")
# Columns that become dedicated attributes; every other column is kept verbatim
# in the ``fields`` dict so that writing the election back loses nothing.
_PROJECT_COLUMNS = ("project_id", "cost", "name", "selected")
_VOTE_COLUMNS = ("voter_id", "vote", "points")


class PabulibError(ValueError):
    """Raised when a ``.pb`` file cannot be understood; the message names the line."""


@dataclass(slots=True)
class Project:
    """One project of the election.

    ``cost`` is an ``int`` whenever the file's value is integral (``4000.0`` and
    ``4000`` both give ``4000``) so that the voting rules can compute exactly;
    a genuinely fractional cost (``1234,50``) becomes a ``float``.
    ``selected`` mirrors the optional ``selected`` column: ``True``/``False``
    when present, ``None`` when the file does not say.
    ``fields`` holds every other column (``votes``, ``category``, ...) as text,
    in file order.
    """

    id: str
    cost: Number
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    selected: bool | None = None


@dataclass(slots=True)
class Vote:
    """One ballot.

    ``projects`` keeps the order of the file's ``vote`` column, which is the
    ranking for ordinal elections.  ``points`` is aligned with ``projects`` for
    cumulative/scoring elections and ``None`` when the file has no ``points``
    column.  ``fields`` holds the remaining columns (``age``, ``sex``, ...).
    """

    voter_id: str
    projects: list[str] = field(default_factory=list)
    points: list[Number] | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Election:
    """A whole ``.pb`` file: ``meta`` (text key → text value, file order),
    ``projects`` (id → :class:`Project`, file order) and ``votes``."""

    meta: dict[str, str] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)

    @property
    def budget(self) -> Number:
        """The ``budget`` meta value as a number (raises :class:`PabulibError` if absent)."""
        if "budget" not in self.meta:
            raise PabulibError("META has no 'budget' entry")
        return parse_number(self.meta["budget"], what="budget")

    @property
    def vote_type(self) -> str:
        """The ``vote_type`` meta value, lower-cased; pabulib's default is ``approval``."""
        return self.meta.get("vote_type", "approval").strip().lower()


def parse_number(text: str, what: str = "number") -> Number:
    """Parse a pabulib number: ``int`` when integral, else ``float``.

    Accepts a decimal comma (``1234,5``) because some municipalities export
    costs that way, and ignores spaces used as thousands separators.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise PabulibError(f"invalid {what}: {text!r}") from None
    if not value.is_finite():
        raise PabulibError(f"invalid {what}: {text!r}")
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _format_number(value: Number) -> str:
    """Write a number the way :func:`parse_number` reads it back unchanged."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_none(text: str) -> bool:
    # pabulib writes the literal "None" (sometimes empty) for a missing value.
    return text.strip() == "" or text.strip().lower() == "none"


def _parse_selected(text: str, line: int) -> bool | None:
    if _is_none(text):
        return None
    try:
        return parse_number(text, what="selected") != 0
    except PabulibError:
        raise PabulibError(f"line {line}: invalid selected value {text!r}") from None


def _split_list(text: str) -> list[str]:
    """Split a comma-separated ``vote``/``points`` cell, dropping empty items."""
    if _is_none(text):
        return []
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_pb_string(text: str) -> Election:
    """Parse the content of a ``.pb`` file given as a string.

    Raises :class:`PabulibError` (a ``ValueError``) with the offending line
    number when the file is malformed: data before any section, a missing
    header, a duplicate project id, a vote naming an unknown project, or a
    ``points`` list whose length differs from the ``vote`` list.
    """
    text = text.removeprefix("\ufeff")
    # newline="" lets the csv module see "\r\n" itself and keeps newlines that
    # sit inside quoted fields.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    election = Election()
    section: str | None = None
    header: list[str] | None = None

    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines and trailing ";;;" rows carry nothing
        first = row[0].strip().upper()
        if first in SECTIONS and all(not cell.strip() for cell in row[1:]):
            section, header = first, None
            continue
        if section is None:
            raise PabulibError(f"line {line}: data before the META/PROJECTS/VOTES sections")
        if header is None:
            header = [cell.strip() for cell in row]
            _check_header(section, header, line)
            continue
        cells = row
        if len(cells) > len(header) and section == "META":
            # An unquoted ';' inside a meta value (typically "comment").
            cells = [cells[0], ";".join(cells[1:])]
        while len(cells) > len(header) and not cells[-1].strip():
            cells = cells[:-1]  # trailing ';' left by spreadsheet exports
        # Short rows (a trailing empty column dropped by an exporter) are padded.
        cells = cells + [""] * (len(header) - len(cells))
        if len(cells) > len(header):
            raise PabulibError(f"line {line}: {len(cells)} columns but the {section} header has {len(header)}")
        record = dict(zip(header, cells, strict=True))
        if section == "META":
            election.meta[record["key"].strip()] = record["value"].strip()
        elif section == "PROJECTS":
            project = _parse_project(record, line)
            if project.id in election.projects:
                raise PabulibError(f"line {line}: duplicate project_id {project.id!r}")
            election.projects[project.id] = project
        else:
            election.votes.append(_parse_vote(record, line, election.projects))
    return election


def _check_header(section: str, header: list[str], line: int) -> None:
    required = {
        "META": ("key", "value"),
        "PROJECTS": ("project_id", "cost"),
        "VOTES": ("voter_id", "vote"),
    }[section]
    missing = [name for name in required if name not in header]
    if missing:
        raise PabulibError(f"line {line}: {section} header lacks {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise PabulibError(f"line {line}: duplicate column in {section} header")


def _parse_project(record: dict[str, str], line: int) -> Project:
    project_id = record["project_id"].strip()
    if not project_id:
        raise PabulibError(f"line {line}: empty project_id")
    try:
        cost = parse_number(record["cost"], what="cost")
    except PabulibError as exc:
        raise PabulibError(f"line {line}: {exc}") from None
    if cost < 0:
        raise PabulibError(f"line {line}: negative cost for project {project_id!r}")
    return Project(
        id=project_id,
        cost=cost,
        name=record.get("name", "").strip(),
        fields={k: v.strip() for k, v in record.items() if k not in _PROJECT_COLUMNS},
        selected=_parse_selected(record["selected"], line) if "selected" in record else None,
    )


def _parse_vote(record: dict[str, str], line: int, projects: dict[str, Project]) -> Vote:
    chosen = _split_list(record["vote"])
    for project_id in chosen:
        if project_id not in projects:
            raise PabulibError(f"line {line}: vote for unknown project {project_id!r}")
    points: list[Number] | None = None
    if "points" in record:
        try:
            points = [parse_number(p, what="points") for p in _split_list(record["points"])]
        except PabulibError as exc:
            raise PabulibError(f"line {line}: {exc}") from None
        if len(points) != len(chosen):
            raise PabulibError(f"line {line}: {len(points)} points for {len(chosen)} voted projects")
    return Vote(
        voter_id=record["voter_id"].strip(),
        projects=chosen,
        points=points,
        fields={k: v.strip() for k, v in record.items() if k not in _VOTE_COLUMNS},
    )


def parse_pb(source: Source) -> Election:
    """Parse a ``.pb`` file from a path or an open text file.

    Paths are read as UTF-8 (a BOM is skipped); see :func:`parse_pb_string`
    for the accepted syntax and the errors raised.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return parse_pb_string(handle.read())
    return parse_pb_string(source.read())


def write_pb(election: Election, target: Source) -> None:
    """Write ``election`` as a ``.pb`` file to a path or an open text file.

    The output parses back to an equal :class:`Election`
    (``parse_pb_string(write_pb_string(e)) == e`` for any parsed ``e``).
    Columns are written as ``project_id;cost;name;<fields...>;selected`` and
    ``voter_id;vote;points;<fields...>``; ``name``/``points``/``selected``
    appear only when at least one project or vote has them.
    """
    text = write_pb_string(election)
    if isinstance(target, (str, os.PathLike)):
        Path(target).write_text(text, encoding="utf-8", newline="")
    else:
        target.write(text)


def write_pb_string(election: Election) -> str:
    """Return the ``.pb`` text for ``election`` (see :func:`write_pb`)."""
    out = io.StringIO()
    # "\n" endings and minimal quoting: names containing ';' or '"' get quoted.
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)

    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in election.meta.items():
        writer.writerow([key, value])

    projects = list(election.projects.values())
    extra = _union_keys(p.fields for p in projects)
    with_name = any(p.name for p in projects)
    with_selected = any(p.selected is not None for p in projects)
    out.write("PROJECTS\n")
    writer.writerow(
        ["project_id", "cost"] + (["name"] if with_name else []) + extra + (["selected"] if with_selected else [])
    )
    for p in projects:
        row = [p.id, _format_number(p.cost)]
        if with_name:
            row.append(p.name)
        row += [p.fields.get(key, "None") for key in extra]
        if with_selected:
            row.append("None" if p.selected is None else str(int(p.selected)))
        writer.writerow(row)

    extra = _union_keys(v.fields for v in election.votes)
    with_points = any(v.points is not None for v in election.votes)
    out.write("VOTES\n")
    writer.writerow(["voter_id", "vote"] + (["points"] if with_points else []) + extra)
    for v in election.votes:
        row = [v.voter_id, ",".join(v.projects)]
        if with_points:
            row.append("" if v.points is None else ",".join(_format_number(x) for x in v.points))
        row += [v.fields.get(key, "None") for key in extra]
        writer.writerow(row)
    return out.getvalue()


def _union_keys(dicts) -> list[str]:
    # Ordered union: the first record's column order wins, later-only keys follow.
    keys: dict[str, None] = {}
    for d in dicts:
        for key in d:
            keys.setdefault(key, None)
    return list(keys)
