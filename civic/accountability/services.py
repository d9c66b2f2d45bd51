"""The accountability page reads every owed official answer through the
content registry: each kind's ``owed_answers`` hook says what it owes, with
which due date, and when it answered. There is no separate list to keep."""

from __future__ import annotations

import enum
from datetime import datetime

from civic.core import content
from civic.core.time import local_day, utcnow


class State(enum.StrEnum):
    ON_TIME = "on_time"     # answered by the due date
    LATE = "late"           # answered after the due date
    PENDING = "pending"     # not answered, not yet due
    OVERDUE = "overdue"     # not answered, past the due date


def days_late(due: datetime, at: datetime) -> int:
    """Days late in the site's calendar: 0 when on time, at least 1 when late
    (answered at 1 a.m. for a midnight deadline is one day late)."""
    if at <= due:
        return 0
    return max(1, (local_day(at) - local_day(due)).days)


def classify(item: dict, now: datetime) -> dict:
    due, answered = item["due_at"], item.get("answered_at")
    if answered is not None:
        late = days_late(due, answered)
        state = State.LATE if late else State.ON_TIME
    else:
        late = days_late(due, now)
        state = State.OVERDUE if late else State.PENDING
    return dict(item, state=state, late_days=late)


def _sort_key(item: dict):
    # Overdue first (longest overdue first), then pending (soonest due first),
    # then answered (most recent answer first).
    order = {State.OVERDUE: 0, State.PENDING: 1, State.LATE: 2, State.ON_TIME: 2}[item["state"]]
    if item["state"] in (State.OVERDUE, State.PENDING):
        return (order, item["due_at"].timestamp(), item["kind"], item["id"])
    return (order, -item["answered_at"].timestamp(), item["kind"], item["id"])


def owed_items(*, district_id: int | None = None, state: str | None = None, kind: str | None = None,
               now: datetime | None = None) -> list[dict]:
    """Every item owing an official answer, classified and sorted.

    One call per registered kind that provides ``owed_answers``; filters by
    district of the item, state and kind.
    """
    now = now or utcnow()
    items = []
    for k in content.kinds():
        fn = k.hooks.get("owed_answers")
        if fn is None or (kind and k.name != kind):
            continue
        for item in fn():
            if district_id is not None and item.get("district_id") != district_id:
                continue
            entry = classify(item, now)
            entry["kind_label"] = k.label()
            items.append(entry)
    if state:
        items = [i for i in items if i["state"] == state]
    return sorted(items, key=_sort_key)


def summary(items: list[dict]) -> dict:
    counts = {s.value: 0 for s in State}
    for i in items:
        counts[i["state"].value] += 1
    answered = counts[State.ON_TIME] + counts[State.LATE]
    counts["total"] = len(items)
    counts["on_time_percent"] = round(100 * counts[State.ON_TIME] / answered) if answered else None
    return counts


def owing_kinds() -> list:
    return [k for k in content.kinds() if k.hooks.get("owed_answers")]
