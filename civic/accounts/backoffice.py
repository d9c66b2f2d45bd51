"""The back office's page (/admin): what staff run, gathered from every
module through the kind registry (``admin_spaces``, ``attention`` and
``create_links`` hooks) and the participation counts of the open-data
registry. Nothing here knows a domain: a new kind appears by registering
its hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from civic.accounts.models import District, User
from civic.core import content, datasets
from civic.core.time import local_day, utcnow
from civic.extensions import db

MONTHS = 12
SPACES_PER_PAGE = 30

# Bar charts: drawing units of the SVG viewBox (it scales with the page).
# By month: vertical bars; by district (long names): horizontal bars, a row each.
CHART_WIDTH, CHART_HEIGHT, BAR_AREA = 600, 180, 140
ROW_HEIGHT, LABEL_WIDTH = 18, 330


def late_days(due_at: datetime | None, now: datetime) -> int:
    """Days past the due date in the site's calendar (0 when not late yet)."""
    if due_at is None or due_at >= now:
        return 0
    return max(1, (local_day(now) - local_day(due_at)).days)


def attention_rows(actor, now: datetime | None = None) -> list[dict]:
    """Every module's "needs doing now", late first then by due date, each
    with its lateness in days."""
    now = now or utcnow()
    rows = content.attention(actor)
    for row in rows:
        row["late_days"] = late_days(row.get("due_at"), now) if row.get("late") else 0
    return rows


def kind_label(name: str) -> str:
    try:
        return str(content.get_kind(name).label())
    except Exception:  # a kind of a module not installed here: its stored name
        return name


@dataclass
class Spaces:
    rows: list[dict]
    kinds: list[tuple[str, str]]       # (name, label) of the kinds present, for the filter
    states: list[str]                  # the state labels present, for the filter
    page: int
    has_next: bool
    total: int
    districts: dict[int, str] = field(default_factory=dict)


def spaces(actor, kind: str = "", state: str = "", page: int = 1) -> Spaces:
    """Every space of every kind the actor may manage, filtered by kind and
    state label, one page of them (drafts first, then by kind and newest)."""
    rows = content.admin_spaces(actor)
    kinds = sorted({(r["kind"], kind_label(r["kind"])) for r in rows}, key=lambda k: k[1])
    states = sorted({str(r["state"]) for r in rows if not kind or r["kind"] == kind})
    if kind:
        rows = [r for r in rows if r["kind"] == kind]
    if state:
        rows = [r for r in rows if str(r["state"]) == state]
    rows.sort(key=lambda r: (not r["is_draft"], kind_label(r["kind"]), -(r["id"] or 0)))
    start = (page - 1) * SPACES_PER_PAGE
    shown = rows[start:start + SPACES_PER_PAGE]
    for r in shown:
        r["kind_label"] = kind_label(r["kind"])
    return Spaces(rows=shown, kinds=kinds, states=states, page=page, has_next=len(rows) > start + SPACES_PER_PAGE,
                  total=len(rows), districts=district_names())


def district_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(District.id, District.name)).all())


def last_months(now: datetime | None = None, n: int = MONTHS) -> list[str]:
    """The last ``n`` months as "YYYY-MM" (UTC, as the activity counts are), oldest first."""
    now = now or utcnow()
    year, month = now.year, now.month
    out = []
    for _i in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _month_names(month: str) -> tuple[str, str]:
    """"2026-12" as the reader's "Dec 2026" (tables, bar titles) and "Dec" (the axis)."""
    day = date(int(month[:4]), int(month[5:7]), 1)
    return format_date(day, "MMM y"), format_date(day, "MMM")


def _bars(pairs: list[tuple[str, int]]) -> list[dict]:
    """Bar geometry (in viewBox units) for ``(month, value)`` pairs."""
    top = max([v for _k, v in pairs] + [1])
    width = CHART_WIDTH / max(len(pairs), 1)
    bars = []
    for i, (month, value) in enumerate(pairs):
        height = round(BAR_AREA * value / top, 1)
        label, short = _month_names(month)
        bars.append({"label": label, "short": short, "month": month, "value": value,
                     "x": round(i * width + width * 0.15, 1),
                     "width": round(width * 0.7, 1), "y": round(10 + BAR_AREA - height, 1), "height": height,
                     "cx": round(i * width + width / 2, 1)})
    return bars


def _rows(pairs: list[tuple[str, int]]) -> dict:
    """Horizontal bar geometry for ``(label, value)`` pairs, and the chart's height."""
    top = max([v for _k, v in pairs] + [1])
    span = CHART_WIDTH - LABEL_WIDTH - 60  # room for the value after the bar
    bars = [{"label": label, "value": value, "y": i * ROW_HEIGHT + 3, "ty": i * ROW_HEIGHT + 14,
             "width": round(span * value / top, 1), "vx": LABEL_WIDTH + round(span * value / top, 1) + 4}
            for i, (label, value) in enumerate(pairs)]
    return {"bars": bars, "height": max(len(pairs), 1) * ROW_HEIGHT + 4}


def _new_accounts():
    """People who joined (accounts created, not deleted) by month and by their
    district: the participants' side of the figures, which no open dataset
    publishes (the activities count contributions, not people)."""
    month = datasets.month_of(User.created_at)
    return db.session.execute(sa.select(month, User.district_id, sa.func.count()).where(User.deleted_at.is_(None))
                              .group_by(month, User.district_id)).all()


def figures(now: datetime | None = None) -> list[dict]:
    """New accounts and each kind of participation over the last 12 months,
    by month and by district: ``{"name", "label", "total", "months": bars,
    "districts": rows}`` (one query each)."""
    months = last_months(now)
    names = district_names()
    fr = str(get_locale() or "en").startswith("fr")
    out = []
    joined = datasets.Activity("new_accounts", "New accounts", "Nouveaux comptes", "", "", _new_accounts)
    for activity in [joined, *datasets.activities()]:
        by_month = dict.fromkeys(months, 0)
        by_district: dict[int | None, int] = {}
        for month, district_id, n in activity.counts():
            if month in by_month:
                by_month[month] += int(n)
                by_district[district_id] = by_district.get(district_id, 0) + int(n)
        district_pairs = sorted(((_("Whole city") if d is None else names.get(d, str(d)), n)
                                 for d, n in by_district.items()), key=lambda p: p[0])
        out.append({"name": activity.name, "label": activity.label_fr if fr else activity.label_en,
                    "total": sum(by_month.values()),
                    "months": _bars([(m, by_month[m]) for m in months]),
                    "districts": _rows(district_pairs)})
    return out
