"""Daily series that persist ("open data by default", issue 20, item 5).

Each module that publishes a daily series (signatures per petition per day,
supports per proposal per day...) keeps its own table of counts per local day
and fills it with a periodic job. What is the same for all of them lives here:

- which days a run recomputes (:func:`refresh_days`: yesterday and today, in
  the site's local days, so a late row of yesterday is still counted);
- the UTC window of a local day (:func:`day_window`, through ``core.time``:
  a signature at 23:30 UTC in winter belongs to the next day in Paris);
- replacing a day's rows (:func:`replace_day`): the day is recomputed from the
  source rows and written whole, so a run twice gives the same rows;
- small-count suppression (:func:`suppressed`): a figure below
  :data:`MIN_COUNT` people is published as empty, as consultation results are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from civic.core.time import end_of_day, start_of_day, today
from civic.extensions import db

# Fewer people than this in one published cell could be recognised by their
# neighbours: the cell is published empty (the same rule as consultation results).
MIN_COUNT = 10

SUPPRESSION_EN = (f"A count below {MIN_COUNT} people is left empty, so that nobody can be recognised "
                  "in a small group; a day without any is not listed.")
SUPPRESSION_FR = (f"Un effectif de moins de {MIN_COUNT} personnes est laissé vide, pour que personne ne "
                  "puisse être reconnu dans un petit groupe ; un jour sans aucune n'est pas listé.")


def suppressed(count: int | None) -> int | None:
    """The count as published: None (an empty cell) below :data:`MIN_COUNT`."""
    if count is None or count < MIN_COUNT:
        return None
    return count


def refresh_days(now_day: date | None = None) -> list[date]:
    """The local days a periodic run recomputes: yesterday and today."""
    day = now_day or today()
    return [day - timedelta(days=1), day]


def day_window(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of a local day as naive UTC, the way moments are stored."""
    return start_of_day(day), end_of_day(day)


def days_between(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last`` included (a backfill's days)."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def replace_day(model, day: date, rows: Iterable[dict]) -> int:
    """Write the counts of ``day`` in ``model``'s table: the day's old rows go,
    the recomputed ones come, in the caller's transaction (a run killed half
    way rolls back whole). Rows with a zero count are not stored. Returns
    the number of rows written."""
    table = model.__table__
    db.session.execute(sa.delete(table).where(table.c.day == day))
    values = [dict(r, day=day) for r in rows]
    if values:
        db.session.execute(sa.insert(table), values)
    return len(values)


# --- the registry the backfill command walks ----------------------------------

@dataclass(frozen=True)
class Series:
    """A module's daily series: ``refresh(days)`` recomputes and replaces
    those days (no commit); ``first_day()`` is the earliest day with source rows."""

    name: str
    refresh: Callable[[list[date]], int]
    first_day: Callable[[], date | None]
    job: str | None = None  # its periodic job: a backfill never writes at the same time


_SERIES: dict[str, Series] = {}


def register_series(s: Series) -> None:
    """Declare a series for ``flask civic backfill-series`` (idempotent)."""
    _SERIES[s.name] = s


def all_series() -> list[Series]:
    return sorted(_SERIES.values(), key=lambda s: s.name)


def backfill(s: Series, since: date | None = None, until: date | None = None, *, step: int = 31,
             wait: float = 600) -> int:
    """Recompute every day of ``s`` from ``since`` (default: its first day) to
    ``until`` (default: today), committing every ``step`` days so a long
    backfill holds no transaction for hours and can be run again where it stopped.
    Each step holds the lock of the series' periodic job (waiting up to
    ``wait`` seconds for a run to end)."""
    first = since or s.first_day()
    if first is None:
        return 0
    days = list(days_between(first, until or today()))
    written = 0
    for i in range(0, len(days), step):
        with _exclusive(s, wait):
            written += s.refresh(days[i:i + step])
            db.session.commit()
    return written


@contextmanager
def _exclusive(s: Series, wait: float = 600):
    """Hold the lock of ``s``'s periodic job (taken by ``run_periodic`` around
    the job and its commit): two runs replacing the same day at once could
    both insert it."""
    from civic.core.jobs import job_lock

    if s.job is None:
        yield
        return
    deadline = time.monotonic() + wait
    while True:
        with job_lock(f"periodic:{s.job}", ttl=600) as got:
            if got:
                yield
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the periodic job {s.job} has been running for {wait:.0f} s; try again later")
        time.sleep(1)
