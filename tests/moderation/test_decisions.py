"""The moderators' queue and their decisions: priority, district scope,
bounded queries, keep / hide / redact with statements, first decision wins."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import Decision, ModerationCase, Report
from tests.factories import PASSWORD
from tests.helpers import count_queries, count_rows, reload
from tests.moderation import factories as make


def test_queue_puts_hidden_items_first_then_most_reported_then_oldest(
        client, login, moderator, author, residents, make_item):
    old_one = make_item(author, title="Old single report")
    two = make_item(author, title="Two reports")
    hidden = make_item(author, title="Hidden three")
    new_one = make_item(author, title="New single report")
    make.reports(old_one, residents[:1])
    make.reports(two, residents[:2])
    make.reports(hidden, residents[:3])
    make.reports(new_one, residents[1:2])
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
    make.decision(moderator, earlier, statement="Advertising for a shop, not allowed here.", reporter=residents[0])
    item = make_item(author, title="Reply", body="You are all idiots", parent="Bike lane on rue Bayard")
    make.reports(item, residents[:2], "harassment")
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
        make.reports(item, residents[:1])
    login(local)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "In my district" in html
    assert "In another district" not in html and "City-wide item" not in html
    assert client.get(f"/moderation/cases/{make.case(there).id}").status_code == 403
    assert client.post(f"/moderation/cases/{make.case(citywide).id}", data={
        "decision": "hide", "reason_code": "spam", "statement": "Advertising, which the charter forbids."
    }).status_code == 403
    assert make.case(citywide).status == "open"


def test_queue_runs_a_constant_number_of_queries_whatever_its_length(app, moderator, author, factory, make_item):
    reporters = [factory.user() for _ in range(2)]

    def queries_for_page():
        db.session.expire_all()
        (rows, _more), n = count_queries(lambda: services.moderation_queue(moderator, 1, per_page=50))
        return len(rows), n

    for i in range(3):
        make.reports(make_item(author, title=f"Item {i}"), reporters)
    few = queries_for_page()
    for i in range(12):
        other_author = factory.user()
        make.reports(make_item(other_author, title=f"More {i}"), reporters)
    many = queries_for_page()
    assert few[0] == 3 and many[0] == 15
    assert few[1] == many[1]


def test_hiding_keeps_the_content_and_mails_the_author_the_reasons_and_how_to_appeal(
        client, login, moderator, author, residents, make_item, mails):
    item = make_item(author, title="Shop advert")
    make.reports(item, residents[:1])
    login(moderator)
    case_id = make.case(item).id
    page = client.get(f"/moderation/cases/{case_id}").get_data(as_text=True)
    assert "Statement of reasons" in page and "<legend>Decision</legend>" in page
    resp = client.post(f"/moderation/cases/{case_id}", data={
        "decision": "hide", "reason_code": "spam", "statement": "Advertising for a shop, which the charter forbids."})
    assert resp.status_code == 302
    hidden = reload(item)
    assert hidden is not None and hidden.hidden_at is not None  # hidden, never deleted
    decision = db.session.scalar(sa.select(Decision))
    assert (decision.type.value, decision.reason_code.value, decision.moderator_id) == ("hide", "spam", moderator.id)
    assert make.case(item).status == "decided"
    [mail] = mails(author.email)
    assert "Advertising for a shop" in mail.body and "Spam or advertising" in mail.body
    assert f"/moderation/decisions/{decision.id}/appeal" in mail.body
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "moderation.decided"))
    assert entry.actor_id == moderator.id and entry.data["decision"] == "hide"


def test_keeping_an_auto_hidden_item_shows_it_again_and_tells_the_author(
        client, login, moderator, author, residents, make_item, mails):
    item = make_item(author)
    make.reports(item, residents[:3])
    assert reload(item).hidden_at is not None
    make.decision(moderator, item, "keep", "", "Sharp criticism of a project is allowed here.")
    assert reload(item).hidden_at is None
    assert client.get(f"/fake/{item.id}").status_code == 200
    [mail] = mails(author.email)
    assert "visible again" in mail.body
    # The reports are dismissed: the next report opens a new case.
    make.reports(item, residents[3:4])
    assert count_rows(ModerationCase) == 2 and count_rows(ModerationCase, ModerationCase.status == "open") == 1


def test_keeping_a_visible_reported_item_does_not_mail_the_author(moderator, author, residents, make_item, mails):
    item = make_item(author)
    make.reports(item, residents[:1])
    make.decision(moderator, item, "keep", "", "No rule is broken by this message.")
    assert mails(author.email) == []


def test_decision_without_rule_or_statement_comes_back_with_messages(
        client, login, moderator, author, residents, make_item):
    item = make_item(author)
    make.reports(item, residents[:1])
    login(moderator)
    resp = client.post(f"/moderation/cases/{make.case(item).id}", data={"decision": "hide", "reason_code": "",
                                                                    "statement": "Too short"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Choose a reason from the list." in html and "at least 20 characters" in html
    assert count_rows(Decision) == 0 and make.case(item).status == "open"


def test_editing_out_personal_data_keeps_the_original_for_moderators_only(
        client, login, moderator, author, residents, make_item, mails):
    item = make_item(author, body="The noisy neighbour is Jean Martin, 12 rue des Lilas.")
    make.reports(item, residents[:1], "personal_data")
    login(moderator)
    case_id = make.case(item).id
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
    make.reports(item, residents[:1], "personal_data")
    with pytest.raises(services.ValidationError) as err:
        services.decide_case(moderator, make.case(item).id, "redact", "personal_data",
                             "Phone numbers are personal data.", "Call me at 06 12 34 56 78")
    assert "redacted_text" in err.value.fields


def test_first_decision_wins_and_the_second_moderator_sees_it(
        client, other_client, login, moderator, moderator2, author, residents, make_item):
    item = make_item(author, title="Disputed")
    make.reports(item, residents[:1])
    case_id = make.case(item).id
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
    assert count_rows(Decision) == 1
    assert db.session.scalar(sa.select(Decision.moderator_id)) == moderator.id
    assert reload(item).hidden_at is None


def test_deciding_an_already_decided_case_is_refused_and_names_the_first_decision(
        moderator, moderator2, author, residents, make_item):
    item = make_item(author)
    make.reports(item, residents[:1])
    case_id = make.case(item).id
    make.decision(moderator, item, "keep", "", "Within the rules of the charter.")
    with pytest.raises(services.InvalidTransition) as err:
        services.decide_case(moderator2, case_id, "hide", "spam", "This is an advertisement for a shop.")
    db.session.rollback()
    assert "Mona Moderator" in err.value.message
    assert count_rows(Decision) == 1 and reload(item).hidden_at is None


def test_reports_are_never_deleted_by_a_decision(moderator, author, residents, make_item):
    item = make_item(author)
    make.reports(item, residents[:2])
    make.decision(moderator, item)
    assert count_rows(Report) == 2


def test_queue_says_which_districts_it_covers(client, login, factory, moderator, author, residents, make_item):
    local = factory.user(email="local@example.org", roles=[("moderator", factory.district())])
    login(moderator)
    assert "from every district" in client.get("/moderation/").get_data(as_text=True)
    client.post("/account/logout")
    login(local)
    assert "from your districts only" in client.get("/moderation/").get_data(as_text=True)


@pytest.mark.parametrize("page", ["0", "two", "100001"])
def test_a_queue_page_out_of_range_is_refused_not_clamped(client, login, moderator, page):
    login(moderator)
    assert client.get(f"/moderation/?page={page}").status_code == 422
    assert client.get("/moderation/?page=2").status_code == 200


def test_a_district_moderator_sees_a_persons_history_only_in_their_districts(
        client, login, factory, moderator, author, residents, make_item):
    mine, other = factory.district(name="Minimes"), factory.district(name="Bonnefoy")
    local = factory.user(email="local@example.org", roles=[("moderator", mine)])
    paul = factory.user(email="paul@example.org", name="Paul Posteur")
    here = make_item(paul, mine, title="Paul in my district")
    there = make_item(paul, other, title="Paul in another district")
    citywide = make_item(paul, None, title="Paul city-wide")
    decided = {item.title: make.decision(moderator, item, reporter=residents[0]) for item in (here, there, citywide)}
    # Reports Paul made: one about an item of my district, two elsewhere.
    make.report(make_item(author, mine, title="Reported here"), paul)
    make.report(make_item(author, other, title="Reported there"), paul)
    make.report(make_item(author, None, title="Reported city-wide"), paul)
    block = services.block_user(moderator, paul.id, 7, "spam", "Repeated advertising across the site.")
    db.session.commit()

    summary = services.person_summary(local, paul.id)
    assert [d.id for d in summary["decisions"]] == [decided["Paul in my district"].id]
    assert summary["reports_made"] == 1
    login(local)
    resp = client.get(f"/moderation/people/{paul.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"/moderation/cases/{decided['Paul in my district'].case_id}" in html
    assert f"/moderation/cases/{decided['Paul in another district'].case_id}" not in html
    assert f"/moderation/cases/{decided['Paul city-wide'].case_id}" not in html
    assert "<dt>Reports made</dt><dd>1</dd>" in html
    assert "this page shows the decisions and reports concerning your districts" in html
    assert "Blocked" in html  # the person's status is not a district's item

    client.post("/account/logout")
    login(moderator)
    html = client.get(f"/moderation/people/{paul.id}").get_data(as_text=True)
    for d in decided.values():
        assert f"/moderation/cases/{d.case_id}" in html
    assert "<dt>Reports made</dt><dd>3</dd>" in html
    assert "concerning your districts" not in html
    assert [d.id for d in services.person_summary(moderator, paul.id)["decisions"]][0] == block.id
