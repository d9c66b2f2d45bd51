"""Time: the database stores naive UTC datetimes everywhere; people speak in
local days and times of the site's time zone (``CIVIC_TIMEZONE``, default
Europe/Paris).

Every form that takes a date or a time, and every display of a stored moment
as a day, goes through these functions, so a phase entered "from 1 December"
is stored as local midnight in UTC and shown again as 1 December, on either
side of a daylight-saving change.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Paris"

# A test clock shared by separate processes (web, worker, scheduler): when
# CIVIC_CLOCK_FILE names a file, every utcnow() is shifted by the number of
# seconds it holds, so an end-to-end test can let weeks pass. create_app
# refuses it in production.
CLOCK_FILE = os.environ.get("CIVIC_CLOCK_FILE") or None
_clock = {"mtime": None, "offset": 0.0}


def clock_offset() -> float:
    """Seconds the test clock is ahead of the real one (0 without CIVIC_CLOCK_FILE)."""
    if not CLOCK_FILE:
        return 0.0
    try:
        mtime = os.stat(CLOCK_FILE).st_mtime_ns
    except OSError:
        return 0.0
    if mtime != _clock["mtime"]:
        try:
            with open(CLOCK_FILE, encoding="ascii") as f:
                _clock["offset"] = float(f.read().strip() or 0)
        except (OSError, ValueError):
            return _clock["offset"]
        _clock["mtime"] = mtime
    return _clock["offset"]


def utcnow() -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now + timedelta(seconds=clock_offset()) if CLOCK_FILE else now


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def site_timezone() -> ZoneInfo:
    """The site's zone: the app's ``BABEL_DEFAULT_TIMEZONE`` (set from
    ``CIVIC_TIMEZONE``), or Europe/Paris outside an application context."""
    from flask import current_app, has_app_context

    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return _zone(name)


def to_utc(local: datetime) -> datetime:
    """A naive local wall-clock time (what a form gives) as naive UTC. In the
    repeated hour of an autumn change the first occurrence is taken."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=site_timezone())
    return local.astimezone(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A stored naive UTC moment as an aware local datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(site_timezone())


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of ``day``, as naive UTC."""
    return to_utc(datetime.combine(day, time.min))


def end_of_day(day: date) -> datetime:
    """The instant ``day`` ends (local midnight after it), as naive UTC: an
    exclusive bound, so "until 30 November" stores 1 December 00:00 local."""
    return start_of_day(day + timedelta(days=1))


def local_day(moment: datetime) -> date:
    """The local calendar day a stored moment falls on."""
    return to_local(moment).date()


def last_day(moment: datetime) -> date:
    """The last local day included before the exclusive bound ``moment``."""
    return local_day(moment - timedelta(microseconds=1))


def today() -> date:
    return local_day(utcnow())
