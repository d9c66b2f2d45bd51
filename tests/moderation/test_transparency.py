"""The public transparency report: figures from a known history, checked
against values computed independently here; page, CSV and JSON."""

import csv
import io
import math
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.models import Appeal, Decision, ModerationCase, Report
from civic.moderation.transparency import month_starts, transparency_figures

NOW = datetime(2025, 6, 15, 12, 0)
H = timedelta(hours=1)


class History:
    """Inserts moderation rows with explicit dates and remembers what it inserted."""

    def __init__(self, factory, author):
        self.factory, self.author = factory, author
        self.reporters = [factory.user() for _ in range(3)]
        self.reports, self.decisions, self.durations, self.hidden, self.appeals, self.blocks = [], [], [], [], [], []
        self.next_object = 1

    def case(self, reports, decision=None, hidden_at=None, appeal=None, source="reports"):
        """reports: [(at, reason)]; decision: (type, at); appeal: (at, status)."""
        oid, self.next_object = self.next_object, self.next_object + 1
        first = reports[0][0] if reports else datetime(2025, 3, 5, 10)
        case = ModerationCase(kind="fakeitem", object_id=oid, source=source, author_id=self.author.id,
                              status="decided" if decision else "open", created_at=first,
                              first_reported_at=first if reports else None, hidden_at=hidden_at,
                              report_count=len(reports), decided_at=decision[1] if decision else None)
        db.session.add(case)
        db.session.flush()
        for (at, reason), person in zip(reports, self.reporters, strict=False):
            db.session.add(Report(kind="fakeitem", object_id=oid, case_id=case.id, reporter_id=person.id,
                                  reason=reason, created_at=at))
            self.reports.append((at, reason))
        if hidden_at and source == "reports":
            self.hidden.append((hidden_at, decision[0] if decision else None))
        if decision:
            d = Decision(case_id=case.id, kind="fakeitem", object_id=oid, type=decision[0], statement="Because.",
                         reason_code=None if decision[0] == "keep" else "spam", subject_user_id=self.author.id,
                         created_at=decision[1])
            db.session.add(d)
            db.session.flush()
            self.decisions.append((decision[1], decision[0]))
            if source == "reports":
                self.durations.append((decision[1], (decision[1] - first).total_seconds() / 3600))
            if appeal:
                self._appeal(d, *appeal)

    def block(self, user, at, appeal=None):
        d = Decision(kind="user", object_id=user.id, type="block", statement="Because.", subject_user_id=user.id,
                     created_at=at, block_until=at + timedelta(days=7), lifted_at=at + timedelta(days=7))
        db.session.add(d)
        db.session.flush()
        self.decisions.append((at, "block"))
        self.blocks.append((at, user.id))
        if appeal:
            self._appeal(d, *appeal)

    def _appeal(self, decision, at, status):
        db.session.add(Appeal(decision_id=decision.id, appellant_id=self.author.id, text="Please.", created_at=at,
                              status=status, decided_at=None if status == "pending" else at + H,
                              statement=None if status == "pending" else "Decided."))
        self.appeals.append((at, status))


def _build(factory, author) -> History:
    h = History(factory, author)
    x, y = factory.user(), factory.user()
    # Before the 12-month window: ignored everywhere.
    h.case([(datetime(2024, 6, 20, 9), "spam")], ("keep", datetime(2024, 6, 21, 9)))
    h.case([(datetime(2024, 7, 3, 10), "harassment"), (datetime(2024, 7, 3, 11), "harassment"),
            (datetime(2024, 7, 3, 12), "harassment")], ("keep", datetime(2024, 7, 3, 14)),
           hidden_at=datetime(2024, 7, 3, 12))
    h.case([(datetime(2025, 1, 10, 8), "spam")], ("hide", datetime(2025, 1, 10, 10)),
           appeal=(datetime(2025, 1, 12, 9), "overturned"))
    h.case([(datetime(2025, 1, 20, 8), "misinformation"), (datetime(2025, 1, 20, 9), "misinformation")],
           ("hide", datetime(2025, 1, 21, 14)), appeal=(datetime(2025, 2, 1, 9), "upheld"))
    h.case([(datetime(2025, 1, 31, 23), "off_topic")], ("keep", datetime(2025, 2, 1, 1)))
    h.case([(datetime(2025, 6, 1, 9), "spam"), (datetime(2025, 6, 1, 10), "spam"), (datetime(2025, 6, 1, 11), "other")],
           ("hide", datetime(2025, 6, 2, 9)), hidden_at=datetime(2025, 6, 1, 11))
    h.case([(datetime(2025, 6, 14, 9), "personal_data")])  # still open
    h.case([], ("keep", datetime(2025, 3, 5, 11)), hidden_at=datetime(2025, 3, 5, 10), source="premoderation")
    h.block(x, datetime(2025, 3, 10, 9))
    h.block(y, datetime(2025, 3, 20, 9))
    h.block(x, datetime(2025, 5, 1, 9), appeal=(datetime(2025, 5, 2, 9), "pending"))
    # After "now": not yet happened from the report's point of view.
    h.case([(NOW + H, "spam")])
    db.session.commit()
    return h


def _expected(h: History):
    """The figures, recomputed from what the test inserted (not from the database)."""
    months = []
    y, m = NOW.year, NOW.month
    for _ in range(12):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    months.reverse()

    def key(at):
        return at.strftime("%Y-%m") if at <= NOW else None

    def by_month(rows):
        """(moment, value) rows as month -> Counter of values."""
        out = defaultdict(Counter)
        for at, value in rows:
            out[key(at)][value] += 1
        return out

    reports, decisions, appeals = by_month(h.reports), by_month(h.decisions), by_month(h.appeals)
    durations = defaultdict(list)
    for at, hours in h.durations:
        durations[key(at)].append(hours)
    hidden = defaultdict(Counter)
    for at, outcome in h.hidden:
        hidden[key(at)]["total"] += 1
        hidden[key(at)]["restored"] += outcome == "keep"
    blocked = defaultdict(set)
    for at, uid in h.blocks:
        blocked[key(at)].add(uid)
    return months, reports, decisions, durations, hidden, appeals, blocked


def _median(values):
    s = sorted(values)
    n = len(s)
    return None if not n else (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2)


def _p90(values):
    s = sorted(values)
    return s[math.ceil(len(s) * 9 / 10) - 1] if s else None


def test_monthly_figures_match_the_history_computed_independently(factory, author):
    h = _build(factory, author)
    figures = transparency_figures(now=NOW)
    months, reports, decisions, durations, hidden, appeals, blocked = _expected(h)
    assert [m["month"] for m in figures["months"]] == months
    assert months[0] == "2024-07" and months[-1] == "2025-06"
    for mo in figures["months"]:
        k = mo["month"]
        assert mo["reports"]["total"] == sum(reports[k].values())
        assert {r: n for r, n in mo["reports"]["by_reason"].items() if n} == dict(reports[k])
        assert {t: n for t, n in mo["decisions"]["by_type"].items() if n} == dict(decisions[k])
        t = mo["time_to_decision"]
        assert t["decided_cases"] == len(durations[k])
        assert t["median_hours"] == (None if not durations[k] else round(_median(durations[k]), 1))
        assert t["p90_hours"] == (None if not durations[k] else round(_p90(durations[k]), 1))
        assert mo["auto_hidden"] == {"total": hidden[k]["total"], "restored_on_review": hidden[k]["restored"]}
        assert mo["appeals"]["total"] == sum(appeals[k].values())
        for status in ("pending", "upheld", "overturned"):
            assert mo["appeals"][status] == appeals[k][status]
        assert mo["users_blocked"] == len(blocked[k])
    by = {m["month"]: m for m in figures["months"]}
    # A few figures by hand, as a reader would check them.
    assert by["2025-01"]["time_to_decision"] == {"decided_cases": 2, "median_hours": 16.0, "p90_hours": 30.0}
    assert by["2024-07"]["auto_hidden"] == {"total": 1, "restored_on_review": 1}
    assert by["2025-06"]["auto_hidden"] == {"total": 1, "restored_on_review": 0}
    assert by["2025-06"]["reports"]["total"] == 4  # the report after "now" is not counted
    assert by["2025-03"]["users_blocked"] == 2 and by["2025-03"]["decisions"]["by_type"]["block"] == 2
    assert by["2025-03"]["decisions"]["by_type"]["keep"] == 1  # the pre-moderation approval
    assert by["2025-02"]["appeals"]["upheld"] == 1 and by["2025-05"]["appeals"]["pending"] == 1
    totals = figures["totals"]
    assert totals["reports"]["total"] == 11  # July 3, January 4, June 4
    assert totals["time_to_decision"]["median_hours"] == 4.0  # of 4, 2, 30, 2, 24 hours
    assert totals["time_to_decision"]["p90_hours"] == 30.0
    assert totals["users_blocked"] == 3  # one person blocked in March and again in May counts in each month


def test_public_page_shows_the_figures_and_explains_the_rules_without_login(client, factory, author):
    now = utcnow()
    h = History(factory, author)
    h.case([(now - 5 * H, "spam"), (now - 4 * H, "spam"), (now - 3 * H, "harassment")],
           ("keep", now - 2 * H), hidden_at=now - 3 * H)
    db.session.commit()
    resp = client.get("/transparency")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.count("<h1") == 1
    assert "The rules, in plain language" in html
    assert "When 3 different people report the same contribution" in html
    assert "Harassment or hate" in html and "appeal it once" in html
    assert "3 h" in html  # median time from the first report to the decision
    assert 'href="/transparency.csv"' in html and 'href="/api/v1/transparency"' in html
    assert "Transparency" in client.get("/").get_data(as_text=True)  # footer link


def test_csv_has_one_row_per_month_with_the_same_figures_as_json(client, factory, author):
    now = utcnow()
    h = History(factory, author)
    h.case([(now - 5 * H, "spam")], ("hide", now - 1 * H))
    db.session.commit()
    resp = client.get("/transparency.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 12
    data = client.get("/api/v1/transparency").get_json()
    last, this_month = rows[-1], data["months"][-1]
    assert last["month"] == this_month["month"] == now.strftime("%Y-%m")
    assert int(last["reports_spam"]) == this_month["reports"]["by_reason"]["spam"] == 1
    assert int(last["decisions_hide"]) == 1 and float(last["median_hours_report_to_decision"]) == 4.0


def test_json_contains_no_personal_data(client, factory):
    author = factory.user(email="secret.author@example.org", name="Secret Author")
    now = utcnow()
    h = History(factory, author)
    h.case([(now - 5 * H, "spam")], ("hide", now - H), appeal=(now - H / 2, "pending"))
    db.session.commit()
    body = client.get("/api/v1/transparency").get_data(as_text=True)
    assert "secret.author" not in body and "Secret Author" not in body and "Please." not in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1


def test_months_are_named_as_the_utc_months_they_count_whatever_the_site_time_zone(app, client, monkeypatch):
    # West of UTC the first instant of a UTC month is still the previous local
    # day: the page must not call December's row "November".
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "America/Montreal")
    html = client.get("/transparency").get_data(as_text=True)
    first = month_starts(utcnow())
    assert [f"{s:%B %Y}" for s in first] == re.findall(r'<th scope="row">(\w+ \d{4})</th>', html)[:12]
    assert f"Period: {first[0]:%B} 1, {first[0]:%Y} to" in html
