"""The whole path with plain HTML forms (no JavaScript): a resident reports,
a moderator decides, the author appeals, another moderator answers. And every
moderation page has one h1, labelled fields and no inline script."""

import re

import sqlalchemy as sa

from civic.extensions import db
from civic.moderation.models import Appeal, Decision, ModerationCase
from tests import helpers
from tests.helpers import reload
from tests.moderation import factories as make


def test_report_decide_appeal_and_answer_with_forms_only(app, client, factory, moderator, moderator2, author,
                                                         make_item, mails):
    item = make_item(author, title="Comment on the market square", body="The stallholders are all thieves.")
    resident = factory.user(email="resident@example.org")
    c_res, c_mod, c_author, c_mod2 = (app.test_client() for _ in range(4))
    helpers.login(c_res, resident)
    assert c_res.post(f"/report/fakeitem/{item.id}", data={"reason": "harassment",
                                                          "details": "Insults the stallholders"}).status_code == 302
    helpers.login(c_mod, moderator)
    queue = c_mod.get("/moderation/").get_data(as_text=True)
    case_id = db.session.scalar(sa.select(ModerationCase.id))
    assert f'href="/moderation/cases/{case_id}"' in queue
    assert c_mod.post(f"/moderation/cases/{case_id}", data={
        "decision": "hide", "reason_code": "harassment",
        "statement": "Calling a whole group thieves is an attack the charter forbids."}).status_code == 302
    assert reload(item).hidden_at is not None
    mail = mails(author.email)[0]
    appeal_path = mail.link("/appeal").replace("http://civic.test", "")
    helpers.login(c_author, author)
    assert c_author.get("/moderation/mine").status_code == 200
    assert c_author.post(appeal_path, data={"text": "I meant one stall that cheated me, not all of them."}
                         ).status_code == 302
    helpers.login(c_mod2, moderator2)
    appeal_id = db.session.scalar(sa.select(Appeal.id))
    assert c_mod2.post(f"/moderation/appeals/{appeal_id}", data={
        "outcome": "upheld", "statement": "The message still accuses all stallholders of theft."}).status_code == 302
    outcome = mails(author.email)[-1]
    assert outcome.subject == "The outcome of your appeal" and "accuses all stallholders" in outcome.body
    assert db.session.scalar(sa.select(Decision.type)) == "hide"


def test_every_moderation_page_has_one_h1_labels_and_no_inline_script(
        app, client, login, factory, moderator, moderator2, author, residents, make_item):
    item = make_item(author, title="Page check")
    decision = make.decision(moderator2, item, reporter=residents[0])
    case_id = decision.case_id
    appeal = make.appeal(author, decision, "This is not an advert for anything at all.")
    login(moderator)
    pages = ["/moderation/", f"/moderation/cases/{case_id}", f"/moderation/people/{author.id}",
             f"/moderation/appeals/{appeal.id}", "/transparency"]
    other = make_item(author, title="Another")
    for path in pages:
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, path
        assert html.count("<h1") == 1, path
        assert "<script" not in html and "style=" not in html, path
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (path, field_id)
    client.post("/account/logout")
    login(residents[1])
    for path in [f"/report/fakeitem/{other.id}", "/moderation/mine"]:
        html = client.get(path).get_data(as_text=True)
        assert html.count("<h1") == 1, path


def test_home_page_leads_moderators_to_the_queue_and_blocked_people_to_their_decisions(
        client, login, moderator, author, residents, make_item):
    from civic.moderation import services

    make.report(make_item(author), residents[0])
    services.block_user(moderator, residents[1].id, 7, "spam", "Advertising messages on every page.")
    db.session.commit()
    login(moderator)
    home = client.get("/").get_data(as_text=True)
    assert "1 item to review" in home and 'href="/moderation/"' in home
    client.post("/account/logout")
    login(residents[1])
    home = client.get("/").get_data(as_text=True)
    assert "Your account is blocked" in home and 'href="/moderation/mine"' in home
    client.post("/account/logout")
    login(residents[2])
    assert "/moderation/" not in client.get("/").get_data(as_text=True)
