"""The moderators' queue and their decisions: priority, district scope,
bounded queries, keep / hide / redact with statements, first decision wins."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import Decision, ModerationCase, Report
from tests.factories import PASSWORD
from tests.moderation.conftest import count, reload


def _report(item, people, reason="spam"):
    for person in people:
        services.report_content(person, "fakeitem", item.id, reason, "details" if reason == "other" else "")
        db.session.commit()


def _case(item) -> ModerationCase:
    db.session.expire_all()
    return db.session.scalar(sa.select(ModerationCase).where(ModerationCase.object_id == item.id)
                             .order_by(ModerationCase.id.desc()))


def test_queue_puts_hidden_items_first_then_most_reported_then_oldest(
        client, login, moderator, author, residents, make_item):
    old_one = make_item(author, title="Old single report")
    two = make_item(author, title="Two reports")
    hidden = make_item(author, title="Hidden three")
    new_one = make_item(author, title="New single report")
    _report(old_one, residents[:1])
    _report(two, residents[:2])
    _report(hidden, residents[:3])
    _report(new_one, residents[1:2])
    # The "old" case is older than the "new" one.
    db.session.execute(sa.update(ModerationCase).where(ModerationCase.object_id == old_one.id)
                       .values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    login(moderator)
    html = client.get("/moderation/").get_data(as_text=True)
    positions = [html.index(t) for t in ("Hidden three", "Two reports", "Old single report", "New single report")]
    assert positions == sorted(positions)
    assert "Hidden pending review" in html and "How is this sorted?" in html


def test_queue_shows_content_context_reports_and_the_authors_history(
        client, login, moderator, author, residents, make_item):
    earlier = make_item(author, title="Earlier post")
    _report(earlier, residents[:1])
    services.decide_case(moderator, _case(earlier).id, "hide", "spam", "Advertising for a shop, not allowed here.")
    db.session.commit()
    item = make_item(author, title="Reply", body="You are all idiots", parent="Bike lane on rue Bayard")
    _report(item, residents[:2], "harassment")
    login(moderator)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "You are all idiots" in html
    assert "Bike lane on rue Bayard" in html
    assert "Harassment or hate (2)" in html
    assert "Alice Author" in html and "Hidden (1)" in html


def test_people_without_the_moderator_role_cannot_see_the_queue(client, login, residents):
    login(residents[0])
    assert client.get("/moderation/").status_code == 403


def test_district_moderators_see_and_decide_only_their_districts(
        client, login, factory, author, residents, make_item):
    mine, other = factory.district(), factory.district()
    local = factory.user(email="local@example.org", roles=[("moderator", mine)])
    here = make_item(author, mine, title="In my district")
    there = make_item(author, other, title="In another district")
    citywide = make_item(author, None, title="City-wide item")
    for item in (here, there, citywide):
        _report(item, residents[:1])
    login(local)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "In my district" in html
    assert "In another district" not in html and "City-wide item" not in html
    assert client.get(f"/moderation/cases/{_case(there).id}").status_code == 403
    assert client.post(f"/moderation/cases/{_case(citywide).id}", data={
        "decision": "hide", "reason_code": "spam", "statement": "Advertising, which the charter forbids."
    }).status_code == 403
    assert _case(citywide).status == "open"


def test_queue_runs_a_constant_number_of_queries_whatever_its_length(app, moderator, author, factory, make_item):
    reporters = [factory.user() for _ in range(2)]

    def queries_for_page():
        db.session.expire_all()
        statements = []
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            rows, _more = services.moderation_queue(moderator, 1, per_page=50)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(rows), len(statements)

    for i in range(3):
        _report(make_item(author, title=f"Item {i}"), reporters)
    few = queries_for_page()
    for i in range(12):
        other_author = factory.user()
        _report(make_item(other_author, title=f"More {i}"), reporters)
    many = queries_for_page()
    assert few[0] == 3 and many[0] == 15
    assert few[1] == many[1]


def test_hiding_keeps_the_content_and_mails_the_author_the_reasons_and_how_to_appeal(
        client, login, moderator, author, residents, make_item, mails):
    item = make_item(author, title="Shop advert")
    _report(item, residents[:1])
    login(moderator)
    case_id = _case(item).id
    page = client.get(f"/moderation/cases/{case_id}").get_data(as_text=True)
    assert "Statement of reasons" in page and "<legend>Decision</legend>" in page
    resp = client.post(f"/moderation/cases/{case_id}", data={
        "decision": "hide", "reason_code": "spam", "statement": "Advertising for a shop, which the charter forbids."})
    assert resp.status_code == 302
    hidden = reload(item)
    assert hidden is not None and hidden.hidden_at is not None  # hidden, never deleted
    decision = db.session.scalar(sa.select(Decision))
    assert (decision.type.value, decision.reason_code.value, decision.moderator_id) == ("hide", "spam", moderator.id)
    assert _case(item).status == "decided"
    [mail] = mails(author.email)
    assert "Advertising for a shop" in mail.body and "Spam or advertising" in mail.body
    assert f"/moderation/decisions/{decision.id}/appeal" in mail.body
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "moderation.decided"))
    assert entry.actor_id == moderator.id and entry.data["decision"] == "hide"


def test_keeping_an_auto_hidden_item_shows_it_again_and_tells_the_author(
        client, login, moderator, author, residents, make_item, mails):
    item = make_item(author)
    _report(item, residents[:3])
    assert reload(item).hidden_at is not None
    services.decide_case(moderator, _case(item).id, "keep", "", "Sharp criticism of a project is allowed here.")
    db.session.commit()
    assert reload(item).hidden_at is None
    assert client.get(f"/fake/{item.id}").status_code == 200
    [mail] = mails(author.email)
    assert "visible again" in mail.body
    # The reports are dismissed: the next report opens a new case.
    _report(item, residents[3:4])
    assert count(ModerationCase) == 2 and count(ModerationCase, ModerationCase.status == "open") == 1


def test_keeping_a_visible_reported_item_does_not_mail_the_author(moderator, author, residents, make_item, mails):
    item = make_item(author)
    _report(item, residents[:1])
    services.decide_case(moderator, _case(item).id, "keep", "", "No rule is broken by this message.")
    db.session.commit()
    assert mails(author.email) == []


def test_decision_without_rule_or_statement_comes_back_with_messages(
        client, login, moderator, author, residents, make_item):
    item = make_item(author)
    _report(item, residents[:1])
    login(moderator)
    resp = client.post(f"/moderation/cases/{_case(item).id}", data={"decision": "hide", "reason_code": "",
                                                                    "statement": "Too short"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Choose a reason from the list." in html and "at least 20 characters" in html
    assert count(Decision) == 0 and _case(item).status == "open"


def test_editing_out_personal_data_keeps_the_original_for_moderators_only(
        client, login, moderator, author, residents, make_item, mails):
    item = make_item(author, body="The noisy neighbour is Jean Martin, 12 rue des Lilas.")
    _report(item, residents[:1], "personal_data")
    login(moderator)
    case_id = _case(item).id
    form = client.get(f"/moderation/cases/{case_id}").get_data(as_text=True)
    assert "12 rue des Lilas" in form  # the text to edit is pre-filled
    resp = client.post(f"/moderation/cases/{case_id}", data={
        "decision": "redact", "reason_code": "personal_data", "statement": "A private address was removed; the rest stays.",
        "redacted_text": "The noisy neighbour is [removed by moderation]."})
    assert resp.status_code == 302
    assert reload(item).body == "The noisy neighbour is [removed by moderation]."
    assert reload(item).hidden_at is None
    decision = db.session.scalar(sa.select(Decision))
    assert decision.original_text == "The noisy neighbour is Jean Martin, 12 rue des Lilas."
    assert "12 rue des Lilas" in client.get(f"/moderation/cases/{case_id}").get_data(as_text=True)
    client.post("/account/logout")
    assert "12 rue des Lilas" not in client.get(f"/fake/{item.id}").get_data(as_text=True)
    assert "12 rue des Lilas" not in mails(author.email)[0].body


def test_redaction_must_change_the_text(moderator, author, residents, make_item):
    item = make_item(author, body="Call me at 06 12 34 56 78")
    _report(item, residents[:1], "personal_data")
    with pytest.raises(services.ValidationError) as err:
        services.decide_case(moderator, _case(item).id, "redact", "personal_data",
                             "Phone numbers are personal data.", "Call me at 06 12 34 56 78")
    assert "redacted_text" in err.value.fields


def test_first_decision_wins_and_the_second_moderator_sees_it(
        client, other_client, login, moderator, moderator2, author, residents, make_item):
    item = make_item(author, title="Disputed")
    _report(item, residents[:1])
    case_id = _case(item).id
    login(moderator)
    other_client.post("/account/login", data={"email": moderator2.email, "password": PASSWORD})
    # Both open the case; the first sends "keep", the second, later, "hide".
    assert client.get(f"/moderation/cases/{case_id}").status_code == 200
    assert other_client.get(f"/moderation/cases/{case_id}").status_code == 200
    first = client.post(f"/moderation/cases/{case_id}", data={
        "decision": "keep", "reason_code": "", "statement": "Strong opinion but within the rules."})
    assert first.status_code == 302
    second = other_client.post(f"/moderation/cases/{case_id}", data={
        "decision": "hide", "reason_code": "harassment", "statement": "Personal attack on another participant."})
    html = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Mona Moderator decided this case first" in html and "Your decision was not recorded" in html
    assert "Strong opinion but within the rules." in html  # the winning decision is shown
    assert count(Decision) == 1
    assert db.session.scalar(sa.select(Decision.moderator_id)) == moderator.id
    assert reload(item).hidden_at is None


def test_deciding_an_already_decided_case_is_refused_and_names_the_first_decision(
        moderator, moderator2, author, residents, make_item):
    item = make_item(author)
    _report(item, residents[:1])
    case_id = _case(item).id
    services.decide_case(moderator, case_id, "keep", "", "Within the rules of the charter.")
    db.session.commit()
    with pytest.raises(services.InvalidTransition) as err:
        services.decide_case(moderator2, case_id, "hide", "spam", "This is an advertisement for a shop.")
    db.session.rollback()
    assert "Mona Moderator" in err.value.message
    assert count(Decision) == 1 and reload(item).hidden_at is None


def test_reports_are_never_deleted_by_a_decision(moderator, author, residents, make_item):
    item = make_item(author)
    _report(item, residents[:2])
    services.decide_case(moderator, _case(item).id, "hide", "spam", "Advertising, which the charter forbids.")
    db.session.commit()
    assert count(Report) == 2
