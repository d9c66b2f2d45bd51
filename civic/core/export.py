"""Public exports and serialisation, the same for every module.

- :func:`csv_response` streams every public CSV: rows are written as they are
  produced (no row cap, bounded memory), and every text cell that a
  spreadsheet would read as a formula is neutralised (OWASP "CSV injection").
- :func:`iso` is the one way a stored moment becomes text in JSON and CSV.
- :func:`page_arg` reads ``?page=`` for HTML lists and the API alike.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, date, datetime

from flask import Response, request, stream_with_context
from flask_babel import gettext as _

from civic.core.errors import ValidationError

# A cell starting with one of these is a formula to Excel, LibreOffice or
# Google Sheets (tab and CR too, which some of them strip before parsing).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_PAGE = 100_000


def safe_cell(value):
    """The value as a CSV cell: None becomes empty, moments ISO 8601, and a
    text that starts like a formula gets a leading apostrophe, which the
    spreadsheet shows as text. Numbers are left alone, so ``-3`` stays a number."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return iso(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Line:
    """A file-like object that hands back what csv.writer wrote."""

    def write(self, text):
        return text


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterable[str]:
    """Encoded CSV lines, formula-safe, one by one (a generator: nothing is
    held in memory but the current row)."""
    writer = csv.writer(_Line())
    yield writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        yield writer.writerow([safe_cell(c) for c in row])


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable], *, public: bool = True) -> Response:
    """A streamed ``text/csv`` download. ``rows`` may be a generator reading
    the database in chunks (see :func:`chunked`); the request's application
    context stays open while it runs."""
    resp = Response(stream_with_context(csv_lines(list(header), rows)), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if public:
        resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def chunked(session, stmt, size: int = 1000):
    """Yield the ORM objects of ``stmt`` in primary-key order, ``size`` at a
    time, expunging each chunk: memory stays flat for any number of rows.
    ``stmt`` must select one entity with an integer ``id``."""
    entity = stmt.column_descriptions[0]["entity"]
    last = 0
    while True:
        chunk = session.scalars(stmt.where(entity.id > last).order_by(None).order_by(entity.id).limit(size)).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].id
        for obj in chunk:
            session.expunge(obj)


def iso(value) -> str | None:
    """A stored naive-UTC moment as ISO 8601 with ``Z``; a date as
    ``YYYY-MM-DD``; None stays None (JSON ``null``, an empty CSV cell)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    return value.isoformat()


def page_arg(name: str = "page", maximum: int = MAX_PAGE) -> int:
    """``?page=N`` as an int from 1 to ``maximum`` (1 when absent or empty).
    Anything else is a 422 with the field named, in HTML and JSON alike,
    never a clamp that hides a wrong link nor a 500 on a huge number."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= maximum:
        raise ValidationError(fields={name: _("The page must be a whole number from 1 to %(max)d.", max=maximum)})
    return int(raw)
