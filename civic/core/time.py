"""Time helpers: the database stores naive UTC datetimes everywhere."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
