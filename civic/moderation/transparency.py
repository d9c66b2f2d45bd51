"""Public moderation figures, computed from the database on every request.

For each of the last 12 calendar months (UTC), the current one included:
reports received by reason; decisions by type; median and 90th-percentile
time from the first report on an item to the decision, over the cases decided
that month; items auto-hidden that month and how many of them a moderator
restored on review; appeals filed that month and their outcomes; people
blocked. Nothing here names anyone.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime

import sqlalchemy as sa

from civic.core.export import iso
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.models import (
    Appeal,
    AppealStatus,
    CaseSource,
    CaseStatus,
    Decision,
    DecisionType,
    ModerationCase,
    Report,
    ReportReason,
)
from civic.moderation.settings import auto_hide_threshold, premoderated_kinds

MONTHS = 12


def month_starts(now: datetime, count: int = MONTHS) -> list[datetime]:
    """First instant of each of the last ``count`` months, oldest first."""
    y, m = now.year, now.month
    out = []
    for _i in range(count):
        out.append(datetime(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))


def _month(col):
    """'YYYY-MM' of a timestamp column, in SQL (PostgreSQL or SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(col, "YYYY-MM")
    return sa.func.strftime("%Y-%m", col)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile_90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile: the smallest value that at least 90% of
    the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _empty_month(key: str) -> dict:
    return {
        "month": key,
        "reports": {"total": 0, "by_reason": {r.value: 0 for r in ReportReason}},
        "decisions": {"total": 0, "by_type": {t.value: 0 for t in DecisionType}},
        "time_to_decision": {"decided_cases": 0, "median_hours": None, "p90_hours": None},
        "auto_hidden": {"total": 0, "restored_on_review": 0},
        "appeals": {"total": 0, **{s.value: 0 for s in AppealStatus}},
        "users_blocked": 0,
    }


def transparency_figures(now: datetime | None = None) -> dict:
    """The figures of the public transparency report (JSON-ready)."""
    now = now or utcnow()
    starts = month_starts(now)
    start = starts[0]
    keys = [s.strftime("%Y-%m") for s in starts]
    months = {k: _empty_month(k) for k in keys}
    totals = _empty_month("total")

    def add(key, path, value):
        for target in (months.get(key), totals):
            if target is None:
                continue
            node = target
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] += value

    m = _month(Report.created_at)
    for key, reason, n in db.session.execute(
            sa.select(m, Report.reason, sa.func.count()).where(Report.created_at >= start, Report.created_at <= now)
            .group_by(m, Report.reason)):
        add(key, ("reports", "by_reason", ReportReason(reason).value), n)
        add(key, ("reports", "total"), n)

    # Decisions by type, and the people blocked: a block decision's object is
    # the person (never erased), counted once a month however many blocks.
    m = _month(Decision.created_at)
    people = sa.func.count(sa.distinct(sa.case((Decision.type == DecisionType.BLOCK, Decision.object_id))))
    for key, dtype, n, blocked in db.session.execute(
            sa.select(m, Decision.type, sa.func.count(), people)
            .where(Decision.created_at >= start, Decision.created_at <= now).group_by(m, Decision.type)):
        add(key, ("decisions", "by_type", DecisionType(dtype).value), n)
        add(key, ("decisions", "total"), n)
        add(key, ("users_blocked",), blocked)

    # Time from the first report on an item to the decision, per decided case.
    durations: dict[str, list[float]] = {k: [] for k in keys}
    for first, decided in db.session.execute(
            sa.select(ModerationCase.first_reported_at, ModerationCase.decided_at).where(
                ModerationCase.source == CaseSource.REPORTS, ModerationCase.status == CaseStatus.DECIDED,
                ModerationCase.first_reported_at.is_not(None), ModerationCase.decided_at >= start,
                ModerationCase.decided_at <= now)):
        key = decided.strftime("%Y-%m")
        if key in durations:
            durations[key].append(max(0.0, (decided - first).total_seconds()))
    every = []
    for key, values in durations.items():
        every += values
        months[key]["time_to_decision"] = {"decided_cases": len(values), "median_hours": _hours(median(values)),
                                           "p90_hours": _hours(percentile_90(values))}
    totals["time_to_decision"] = {"decided_cases": len(every), "median_hours": _hours(median(every)),
                                  "p90_hours": _hours(percentile_90(every))}

    m = _month(ModerationCase.hidden_at)
    restored = sa.func.sum(sa.case((Decision.type == DecisionType.KEEP, 1), else_=0))
    for key, n, back in db.session.execute(
            sa.select(m, sa.func.count(ModerationCase.id), restored)
            .outerjoin(Decision, Decision.case_id == ModerationCase.id)
            .where(ModerationCase.source == CaseSource.REPORTS, ModerationCase.hidden_at >= start,
                   ModerationCase.hidden_at <= now)
            .group_by(m)):
        add(key, ("auto_hidden", "total"), n)
        add(key, ("auto_hidden", "restored_on_review"), int(back or 0))

    m = _month(Appeal.created_at)
    for key, status, n in db.session.execute(
            sa.select(m, Appeal.status, sa.func.count()).where(Appeal.created_at >= start, Appeal.created_at <= now)
            .group_by(m, Appeal.status)):
        add(key, ("appeals", AppealStatus(status).value), n)
        add(key, ("appeals", "total"), n)

    del totals["month"]
    return {
        "generated_at": iso(now.replace(microsecond=0)),
        "period": {"from": iso(start.date()), "to": iso(now.date()), "timezone": "UTC"},
        "rules": {"auto_hide_threshold": auto_hide_threshold(), "premoderated_kinds": premoderated_kinds()},
        "months": [months[k] for k in keys],
        "totals": totals,
    }


CSV_COLUMNS = (
    ["month", "reports_total"] + [f"reports_{r.value}" for r in ReportReason]
    + ["decisions_total"] + [f"decisions_{t.value}" for t in DecisionType]
    + ["decided_cases", "median_hours_report_to_decision", "p90_hours_report_to_decision",
       "auto_hidden", "restored_on_review", "appeals_total"] + [f"appeals_{s.value}" for s in AppealStatus]
    + ["users_blocked"]
)


def csv_rows(figures: dict) -> list[list]:
    """One row per month, in :data:`CSV_COLUMNS` order."""
    rows = []
    for mo in figures["months"]:
        t = mo["time_to_decision"]
        rows.append(
            [mo["month"], mo["reports"]["total"]] + [mo["reports"]["by_reason"][r.value] for r in ReportReason]
            + [mo["decisions"]["total"]] + [mo["decisions"]["by_type"][d.value] for d in DecisionType]
            + [t["decided_cases"], "" if t["median_hours"] is None else t["median_hours"],
               "" if t["p90_hours"] is None else t["p90_hours"],
               mo["auto_hidden"]["total"], mo["auto_hidden"]["restored_on_review"], mo["appeals"]["total"]]
            + [mo["appeals"][s.value] for s in AppealStatus] + [mo["users_blocked"]])
    return rows
