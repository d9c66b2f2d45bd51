"""Moderators' digest (periodic, persisted watermark, district scope), the
demo history, and personal data."""

from datetime import timedelta

import sqlalchemy as sa

from civic.accounts import services as account_services
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import demo, services
from civic.moderation.jobs import DIGEST, digest_job, send_digest
from civic.moderation.models import Appeal, Decision, DigestMarker, ModerationCase, Report
from civic.moderation.transparency import transparency_figures
from tests.factories import PASSWORD
from tests.helpers import count_rows
from tests.moderation import factories as make


def _digests(mails, to=None):
    return [m for m in mails(to) if m.subject == "Moderation: new reports to review"]


def test_digest_lists_new_reports_to_moderators_of_the_district_once(
        factory, moderator, author, residents, make_item, mails):
    here, there = factory.district(), factory.district()
    local = factory.user(email="local@example.org", roles=[("moderator", here)])
    far = factory.user(email="far@example.org", roles=[("moderator", there)])
    item = make_item(author, here, title="Noisy bar complaint")
    for person, reason in ((residents[0], "off_topic"), (residents[1], "spam")):
        services.report_content(person, "fakeitem", item.id, reason)
        db.session.commit()
    assert send_digest(force=True) == 2
    db.session.commit()
    [mail] = _digests(mails, local.email)
    assert "2 new reports on 1 item\n" in mail.body and "Noisy bar complaint" in mail.body
    assert "/moderation/cases/" in mail.body and "/moderation/" in mail.body
    assert "List-Unsubscribe" in mail.headers
    assert len(_digests(mails, moderator.email)) == 1 and _digests(mails, far.email) == []
    # Nothing new: nothing sent, even when forced; the watermark is in the database.
    assert send_digest(force=True) == 0
    marker = db.session.get(DigestMarker, DIGEST)
    assert marker.report_id_upto == db.session.scalar(sa.select(sa.func.max(Report.id)))


def test_digest_waits_for_the_interval_set_by_administrators(moderator, author, residents, make_item, mails):
    first = make_item(author, title="First")
    services.report_content(residents[0], "fakeitem", first.id, "spam")
    db.session.commit()
    digest_job()
    db.session.commit()
    second = make_item(author, title="Second")
    services.report_content(residents[0], "fakeitem", second.id, "spam")
    db.session.commit()
    digest_job()  # within the hour: waits
    db.session.commit()
    assert len(_digests(mails, moderator.email)) == 1
    marker = db.session.get(DigestMarker, DIGEST)
    marker.sent_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    digest_job()
    db.session.commit()
    digests = _digests(mails, moderator.email)
    assert len(digests) == 2 and "Second" in digests[1].body and "First" not in digests[1].body


def test_digest_announces_pre_moderated_items_and_appeals(moderator, moderator2, author, residents, make_item, mails):
    from civic.core.settings import store_setting

    store_setting("moderation.premoderated_kinds", "fakeitem")
    db.session.commit()
    make_item(author, notify=True, title="Awaiting approval")
    send_digest(force=True)
    db.session.commit()
    [mail] = _digests(mails, moderator.email)
    assert "1 new item waiting for approval" in mail.body and "Awaiting approval" in mail.body


def test_demo_builds_a_past_history_on_existing_content(app, monkeypatch, make_item):
    from civic.accounts.cli import load_accounts

    ctx = {}
    load_accounts(ctx)
    db.session.commit()
    authors = [ctx["users"]["habitante@demo.civic.localhost"], ctx["users"]["habitant@demo.civic.localhost"]]
    for i in range(20):
        make_item(authors[i % 2], ctx["districts"]["T06"], title=f"Contribution {i}")
    monkeypatch.setattr(demo, "_demo_table", lambda name: True)  # the fake kind stands for comments here
    demo.load_moderation_demo(ctx)
    db.session.commit()
    now = utcnow()
    assert count_rows(Decision, Decision.created_at < now - timedelta(days=100)) >= 3
    assert count_rows(ModerationCase, ModerationCase.status == "open") == 3
    assert count_rows(Appeal) == 2
    figures = transparency_figures()
    assert figures["totals"]["reports"]["total"] > 10 and figures["totals"]["users_blocked"] == 1
    assert figures["totals"]["time_to_decision"]["median_hours"] is not None
    moderator = ctx["users"]["moderation@demo.civic.localhost"]
    rows, _more = services.moderation_queue(moderator)
    assert rows and rows[0]["case"].hidden_at is not None


def test_demo_without_other_content_is_skipped_gracefully(app):
    from civic.accounts.cli import load_accounts

    ctx = {}
    load_accounts(ctx)
    demo.load_moderation_demo(ctx)
    db.session.commit()
    assert count_rows(Report) == 0 and count_rows(Decision) == 1  # only the past block


def test_my_data_lists_reports_and_decisions_and_deletion_unlinks_them(
        client, login, moderator, author, residents, make_item):
    item = make_item(author)
    make.report(item, residents[0], details="An advert for a shop")
    make.appeal(author, make.decision(moderator, item), "It is not an advert, it is a tip for neighbours.")
    login(residents[0])
    data = client.get("/account/my-data.json").get_json()
    assert data["moderation"]["reports_made"][0]["details"] == "An advert for a shop"
    account_services.delete_account(db.session.get(type(author), author.id), PASSWORD)
    db.session.commit()
    appeal = db.session.scalar(sa.select(Appeal))
    assert appeal.appellant_id is None and appeal.text == ""
    assert db.session.scalar(sa.select(Decision.subject_user_id)) is None
    assert count_rows(Decision) == 1  # the decision stays, for the audit trail and the figures
