"""Reporting any registered kind: the report link and form, one report per
person, no reporting of one's own content, auto-hide at the threshold."""

import pytest
import sqlalchemy as sa

from civic.core.models import AuditEntry
from civic.core.settings import store_setting
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import ModerationCase, Report
from tests.helpers import count_rows, reload
from tests.moderation.fakes import FakeItem


def test_resident_reports_an_item_through_the_plain_html_form(client, login, factory, author, make_item):
    item = make_item(author)
    reporter = factory.user(email="lea@example.org")
    login(reporter)
    page = client.get(f"/fake/{item.id}").get_data(as_text=True)
    assert f'href="/report/fakeitem/{item.id}"' in page and "Report this" in page
    form = client.get(f"/report/fakeitem/{item.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    # A radio group with a legend and a label for every choice: usable with a keyboard and a screen reader.
    assert "<legend>What is the problem?</legend>" in html
    assert '<label for="reason-1">Harassment or hate</label>' in html
    assert '<label for="details">' in html and "novalidate" in html
    resp = client.post(f"/report/fakeitem/{item.id}", data={"reason": "harassment", "details": "Insults a neighbour"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/fake/{item.id}")
    [report] = db.session.scalars(sa.select(Report)).all()
    assert (report.kind, report.object_id, report.reporter_id, report.reason.value, report.details) == (
        "fakeitem", item.id, reporter.id, "harassment", "Insults a neighbour")
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "moderation.reported",
                                                         AuditEntry.actor_id == reporter.id)) is not None
    after = client.get(f"/fake/{item.id}").get_data(as_text=True)
    assert "You reported this on" in after and f'href="/report/fakeitem/{item.id}"' not in after


def test_second_report_by_the_same_person_is_refused(factory, author, make_item):
    item = make_item(author)
    reporter = factory.user()
    services.report_content(reporter, "fakeitem", item.id, "spam")
    db.session.commit()
    with pytest.raises(services.ValidationError, match="already reported"):
        services.report_content(reporter, "fakeitem", item.id, "harassment")
    db.session.rollback()
    assert count_rows(Report) == 1


def test_one_report_per_person_per_item_is_a_database_constraint(factory, author, make_item):
    item = make_item(author)
    reporter = factory.user()
    services.report_content(reporter, "fakeitem", item.id, "spam")
    db.session.commit()
    case_id = db.session.scalar(sa.select(ModerationCase.id))
    db.session.add(Report(kind="fakeitem", object_id=item.id, case_id=case_id, reporter_id=reporter.id,
                          reason="spam"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_author_cannot_report_their_own_content_and_sees_no_link(client, login, author, make_item):
    item = make_item(author)
    login(author)
    assert "Report this" not in client.get(f"/fake/{item.id}").get_data(as_text=True)
    resp = client.post(f"/report/fakeitem/{item.id}", data={"reason": "spam"})
    assert resp.status_code == 403
    assert "You cannot report your own contribution." in resp.get_data(as_text=True)
    assert count_rows(Report) == 0


def test_visitors_see_no_report_link_and_the_form_asks_to_log_in(client, author, make_item):
    item = make_item(author)
    assert "Report this" not in client.get(f"/fake/{item.id}").get_data(as_text=True)
    resp = client.get(f"/report/fakeitem/{item.id}")
    assert resp.status_code == 302 and "/account/login" in resp.headers["Location"]


def test_invalid_report_comes_back_with_the_reason_next_to_the_field(client, login, factory, author, make_item):
    item = make_item(author)
    login(factory.user())
    resp = client.post(f"/report/fakeitem/{item.id}", data={"reason": ""})
    assert resp.status_code == 422
    assert "Choose what the problem is." in resp.get_data(as_text=True)
    resp = client.post(f"/report/fakeitem/{item.id}", data={"reason": "other", "details": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "There is a problem" in html and "Say briefly what the problem is." in html
    assert 'value="other" checked' in html
    assert count_rows(Report) == 0


def test_unconfirmed_account_cannot_report(client, login, factory, author, make_item):
    item = make_item(author)
    login(factory.user(confirmed=False))
    resp = client.post(f"/report/fakeitem/{item.id}", data={"reason": "spam"})
    assert resp.status_code == 403
    assert count_rows(Report) == 0


def test_third_report_from_distinct_people_hides_the_item_and_alerts_moderators_at_once(
        client, factory, author, residents, moderator, make_item, mails):
    district, elsewhere = factory.district(), factory.district()
    local_mod = factory.user(email="local@example.org", roles=[("moderator", district)])
    far_mod = factory.user(email="far@example.org", roles=[("moderator", elsewhere)])
    item = make_item(author, district, title="Rude message")
    for person in residents[:2]:
        services.report_content(person, "fakeitem", item.id, "harassment")
        db.session.commit()
    assert reload(item).hidden_at is None
    assert client.get(f"/fake/{item.id}").status_code == 200
    services.report_content(residents[2], "fakeitem", item.id, "spam")
    db.session.commit()
    assert reload(item).hidden_at is not None
    assert client.get(f"/fake/{item.id}").status_code == 404
    case = db.session.scalar(sa.select(ModerationCase))
    assert case.hidden_at is not None and case.report_count == 3
    alerted = sorted(m.to for m in mails() if m.subject.startswith("Hidden pending review"))
    assert alerted == sorted([moderator.email, local_mod.email])
    assert far_mod.email not in alerted
    # Hidden, it can no longer be seen, hence no longer reported by residents.
    with pytest.raises(services.NotFound):
        services.report_content(residents[3], "fakeitem", item.id, "spam")
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "moderation.auto_hidden")) is not None


def test_auto_hide_threshold_is_an_administrator_setting(factory, author, residents, make_item):
    store_setting("moderation.auto_hide_threshold", 2)
    db.session.commit()
    item = make_item(author)
    services.report_content(residents[0], "fakeitem", item.id, "spam")
    db.session.commit()
    assert reload(item).hidden_at is None
    services.report_content(residents[1], "fakeitem", item.id, "spam")
    db.session.commit()
    assert reload(item).hidden_at is not None


def test_pre_moderated_kind_is_hidden_until_a_moderator_approves_it(
        client, login, author, moderator, make_item, mails):
    store_setting("moderation.premoderated_kinds", "petition, fakeitem")
    db.session.commit()
    item = make_item(author, notify=True, title="New idea")
    assert reload(item).hidden_at is not None
    assert client.get(f"/fake/{item.id}").status_code == 404
    login(moderator)
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "New idea" in queue and "Waiting for approval (pre-moderation)" in queue
    case_id = db.session.scalar(sa.select(ModerationCase.id))
    resp = client.post(f"/moderation/cases/{case_id}", data={
        "decision": "keep", "reason_code": "", "statement": "Respects the charter: published as it is."})
    assert resp.status_code == 302
    assert reload(item).hidden_at is None
    [mail] = mails(author.email)
    assert "now published" in mail.body and "Respects the charter" in mail.body


def test_moderators_own_contributions_are_not_pre_moderated(moderator, make_item):
    store_setting("moderation.premoderated_kinds", "fakeitem")
    db.session.commit()
    item = make_item(moderator, notify=True)
    assert reload(item).hidden_at is None
    assert count_rows(ModerationCase) == 0


def test_hidden_items_cannot_be_reported_by_residents(factory, author, make_item):
    item = make_item(author)
    item.hidden_at = utcnow()
    db.session.commit()
    with pytest.raises(services.NotFound):
        services.report_content(factory.user(), "fakeitem", item.id, "spam")
    assert db.session.get(FakeItem, item.id) is not None


def test_reports_beyond_the_hourly_limit_are_refused_with_429_and_the_details_kept(
        client, login, factory, author, make_item):
    assert services.REPORTS_PER_HOUR == 30
    items = [make_item(author, title=f"Item {i}") for i in range(services.REPORTS_PER_HOUR + 1)]
    reporter = factory.user(email="zealous@example.org")
    # An invalid form costs nothing: "other" needs details.
    with pytest.raises(services.ValidationError):
        services.report_content(reporter, "fakeitem", items[0].id, "other", "")
    db.session.rollback()
    for item in items[:-1]:
        services.report_content(reporter, "fakeitem", item.id, "spam")
        db.session.commit()
    login(reporter)
    last = items[-1]
    resp = client.post(f"/report/fakeitem/{last.id}", data={"reason": "other", "details": "Une adresse privée"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "You have sent 30 reports in the last hour, the most one person can send." in html
    assert "You can report again in" in html and "Une adresse privée</textarea>" in html
    assert count_rows(Report) == 30 and count_rows(Report, Report.object_id == last.id) == 0
    # Another person reports it at once.
    client.post("/account/logout")
    login(factory.user())
    assert client.post(f"/report/fakeitem/{last.id}", data={"reason": "spam"}).status_code == 302
