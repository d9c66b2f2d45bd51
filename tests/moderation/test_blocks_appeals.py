"""Blocks (content hidden, restored on unblock, expiry) and appeals (once,
decided by another moderator, outcome mailed)."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import services
from civic.moderation.jobs import expire_blocks_job
from civic.moderation.models import Appeal, Decision
from tests.factories import PASSWORD
from tests.helpers import count_rows, reload
from tests.moderation import factories as make


def test_block_hides_everything_the_person_wrote_and_unblock_restores_only_that(
        client, login, moderator, author, residents, make_item, mails):
    a, b = make_item(author, title="First"), make_item(author, title="Second")
    already_hidden = make_item(author, title="Hidden earlier")
    make.decision(moderator, already_hidden, reporter=residents[0])
    login(moderator)
    resp = client.post(f"/moderation/people/{author.id}", data={
        "action": "block", "block-duration": "30", "block-reason_code": "harassment",
        "block-statement": "Repeated insults towards other participants."})
    assert resp.status_code == 302
    blocked = reload(author)
    assert blocked.is_blocked and blocked.blocked_until > utcnow() + timedelta(days=29)
    assert blocked.blocked_reason == "Repeated insults towards other participants."
    assert all(reload(i).hidden_at is not None for i in (a, b, already_hidden))
    [mail] = [m for m in mails(author.email) if m.subject == "Your account is blocked"]
    assert "Repeated insults" in mail.body and "/appeal" in mail.body
    resp = client.post(f"/moderation/people/{author.id}", data={"action": "unblock",
                                                                 "unblock-reason": "Apologised in writing."})
    assert resp.status_code == 302
    assert not reload(author).is_blocked
    assert reload(a).hidden_at is None and reload(b).hidden_at is None
    assert reload(already_hidden).hidden_at is not None  # hidden by a decision, not by the block
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("moderation.%"))).all()
    assert "moderation.blocked" in actions and "moderation.unblocked" in actions


def test_blocked_person_can_log_in_read_and_appeal_but_not_contribute(
        client, login, moderator, author, residents, make_item):
    other = make_item(residents[0], title="Someone else's")
    decision = services.block_user(moderator, author.id, 7, "harassment", "Repeated insults towards residents.")
    db.session.commit()
    login(author)
    assert client.get(f"/fake/{other.id}").status_code == 200
    resp = client.post(f"/report/fakeitem/{other.id}", data={"reason": "spam"})
    assert resp.status_code == 403 and "Your account is blocked" in resp.get_data(as_text=True)
    mine = client.get("/moderation/mine").get_data(as_text=True)
    assert "Account blocked" in mine and f"/moderation/decisions/{decision.id}/appeal" in mine
    resp = client.post(f"/moderation/decisions/{decision.id}/appeal",
                       data={"text": "I was answering an insult; please look at the whole thread."})
    assert resp.status_code == 302
    assert count_rows(Appeal) == 1


def test_permanent_block_lasts_until_lifted_and_temporary_block_ends_by_itself(
        moderator, author, residents, make_item):
    services.block_user(moderator, residents[0].id, None, "spam", "Hundreds of advertising messages posted.")
    item = make_item(author)
    services.block_user(moderator, author.id, 7, "harassment", "Insults towards other participants.")
    db.session.commit()
    assert reload(residents[0]).blocked_until.year == 9999
    assert reload(item).hidden_at is not None
    # A week later the scheduler lifts the temporary block and restores what it hid.
    db.session.execute(sa.update(Decision).where(Decision.subject_user_id == author.id)
                       .values(block_until=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    expire_blocks_job()
    db.session.commit()
    assert reload(item).hidden_at is None and not reload(author).is_blocked
    assert reload(residents[0]).is_blocked
    expire_blocks_job()  # idempotent
    db.session.commit()
    assert count_rows(AuditEntry, AuditEntry.action == "moderation.block_expired") == 1


def test_only_unlimited_moderators_block_and_nobody_blocks_twice(client, login, factory, moderator, author):
    local = factory.user(roles=[("moderator", factory.district())])
    login(local)
    page = client.get(f"/moderation/people/{author.id}").get_data(as_text=True)
    assert "only moderators without district limits can block" in page
    resp = client.post(f"/moderation/people/{author.id}", data={
        "action": "block", "block-duration": "7", "block-reason_code": "spam",
        "block-statement": "Advertising messages everywhere."})
    assert resp.status_code == 403 and not reload(author).is_blocked
    services.block_user(moderator, author.id, 7, "spam", "Advertising messages everywhere.")
    db.session.commit()
    with pytest.raises(services.ValidationError, match="already blocked"):
        services.block_user(moderator, author.id, 7, "spam", "Advertising messages everywhere.")


def test_author_appeals_once_and_another_moderator_reverses_the_decision(
        client, other_client, login, moderator, moderator2, author, residents, make_item, mails):
    item = make_item(author, title="My proposal")
    decision = make.decision(moderator, item, reporter=residents[0])
    login(author)
    form = client.get(f"/moderation/decisions/{decision.id}/appeal").get_data(as_text=True)
    assert "Advertising, which the charter forbids." in form and '<label for="text">' in form
    short = client.post(f"/moderation/decisions/{decision.id}/appeal", data={"text": "No"})
    assert short.status_code == 422 and "at least 20 characters" in short.get_data(as_text=True)
    ok = client.post(f"/moderation/decisions/{decision.id}/appeal",
                     data={"text": "This is not an advert: I quote the city's own budget."})
    assert ok.status_code == 302
    again = client.post(f"/moderation/decisions/{decision.id}/appeal", data={"text": "Once more, please look again."})
    assert count_rows(Appeal) == 1 and "You appealed on" in again.get_data(as_text=True)
    appeal = db.session.scalar(sa.select(Appeal))
    # The moderator who decided cannot decide the appeal.
    client.post("/account/logout")
    login(moderator)
    page = client.get(f"/moderation/appeals/{appeal.id}").get_data(as_text=True)
    assert "another moderator must decide this appeal" in page
    resp = client.post(f"/moderation/appeals/{appeal.id}", data={
        "outcome": "overturned", "statement": "I would reverse it myself, but I may not."})
    assert resp.status_code == 403
    other_client.post("/account/login", data={"email": moderator2.email, "password": PASSWORD})
    queue = other_client.get("/moderation/").get_data(as_text=True)
    assert "Appeals waiting (1)" in queue and "My proposal" in queue
    resp = other_client.post(f"/moderation/appeals/{appeal.id}", data={
        "outcome": "overturned", "statement": "The text quotes public figures; it is not advertising."})
    assert resp.status_code == 302
    assert reload(item).hidden_at is None
    assert reload(decision).reversed_at is not None
    [mail] = mails(author.email)[-1:]
    assert mail.subject == "The outcome of your appeal"
    assert "reversed the decision" in mail.body and "quotes public figures" in mail.body


def test_an_upheld_appeal_leaves_the_decision_in_place(moderator, moderator2, author, residents, make_item, mails):
    item = make_item(author)
    decision = make.decision(moderator, item, reporter=residents[0])
    appeal = make.appeal(author, decision)
    services.decide_appeal(moderator2, appeal.id, "upheld", "The message still advertises a private business.")
    db.session.commit()
    assert reload(item).hidden_at is not None
    assert "confirmed the decision" in mails(author.email)[-1].body
    with pytest.raises(services.InvalidTransition):
        services.decide_appeal(moderator2, appeal.id, "overturned", "Changing my mind after the fact here.")


def test_only_the_person_concerned_can_appeal_and_only_decisions_against_them(
        client, login, moderator, author, residents, make_item):
    item = make_item(author)
    decision = make.decision(moderator, item, reporter=residents[0])
    login(residents[1])
    assert client.get(f"/moderation/decisions/{decision.id}/appeal").status_code == 404
    kept = make_item(author)
    keep = make.decision(moderator, kept, "keep", "", "Nothing against the rules in this one.", reporter=residents[0])
    with pytest.raises(services.ValidationError, match="nothing to appeal"):
        services.appeal_decision(author, keep.id, "I want to appeal this one as well.")


def test_reversing_a_block_on_appeal_lifts_it_and_restores_the_content(
        moderator, moderator2, author, make_item):
    item = make_item(author)
    block = services.block_user(moderator, author.id, None, "harassment", "Insults against an elected official.")
    db.session.commit()
    appeal = services.appeal_decision(author, block.id, "It was a quote from the official's own speech.")
    services.decide_appeal(moderator2, appeal.id, "overturned", "The words were a quote, not an insult.")
    db.session.commit()
    assert not reload(author).is_blocked and reload(item).hidden_at is None
    assert db.session.get(User, author.id).blocked_until is None


def test_reversing_a_redaction_puts_the_original_text_back(moderator, moderator2, author, residents, make_item):
    item = make_item(author, body="Contact the association at 05 61 00 00 00.")
    decision = make.decision(moderator, item, "redact", "personal_data", "Phone numbers are personal data.",
                             "Contact the association.", reporter=residents[0])
    appeal = make.appeal(author, decision, "This is the association's public office number.")
    services.decide_appeal(moderator2, appeal.id, "overturned", "A public office number is not personal data.")
    db.session.commit()
    assert reload(item).body == "Contact the association at 05 61 00 00 00."


def test_an_appeal_decided_meanwhile_by_another_moderator_is_refused_and_says_so(
        client, login, factory, moderator, moderator2, author, residents, make_item):
    third = factory.user(email="mod3@example.org", name="Mia Moderator", roles=("moderator",))
    decision = make.decision(moderator, make_item(author), reporter=residents[0])
    appeal = make.appeal(author, decision)
    login(third)
    assert "Record the outcome" in client.get(f"/moderation/appeals/{appeal.id}").get_data(as_text=True)
    # Meanwhile another moderator confirms the decision.
    services.decide_appeal(moderator2, appeal.id, "upheld", "The message still advertises a private business.")
    db.session.commit()
    resp = client.post(f"/moderation/appeals/{appeal.id}", data={
        "outcome": "overturned", "statement": "I would have reversed it: it quotes public figures."})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Another moderator decided this appeal first" in html and "still advertises" in html
    assert reload(appeal).status == "upheld" and reload(decision).reversed_at is None


def test_the_queue_marks_the_appeals_of_ones_own_decisions(client, login, moderator, moderator2, author, residents,
                                                           make_item):
    appeal = make.appeal(author, make.decision(moderator, make_item(author, title="Mine"), reporter=residents[0]))
    badge = "Your decision: another moderator must decide"
    login(moderator)
    assert badge in client.get("/moderation/").get_data(as_text=True)
    client.post("/account/logout")
    login(moderator2)
    html = client.get("/moderation/").get_data(as_text=True)
    assert badge not in html and f"/moderation/appeals/{appeal.id}" in html


def test_decision_and_block_dates_are_shown_on_their_local_day_across_the_october_clock_change(
        client, login, moderator, author):
    # Paris leaves summer time on the last Sunday of October at 03:00 local
    # (01:00 UTC): 22:30 UTC on 24 October 2026 is already the 25th there; a
    # block until 23:30 UTC on 31 October 2027 ends at 00:30 on 1 November.
    block = services.block_user(moderator, author.id, 7, "spam", "Advertising messages on every page.")
    db.session.commit()
    db.session.execute(sa.update(Decision).where(Decision.id == block.id).values(
        created_at=datetime(2026, 10, 24, 22, 30), block_until=datetime(2027, 10, 31, 23, 30)))
    db.session.commit()
    login(moderator)
    html = client.get(f"/moderation/people/{author.id}").get_data(as_text=True)
    assert "October 25, 2026: Account blocked" in html and "October 24, 2026" not in html
    assert "Nov 1, 2027" in html and "Oct 31, 2027" not in html
