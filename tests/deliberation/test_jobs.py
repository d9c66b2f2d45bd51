"""Reply digests: at most one mail per person per period, idempotent."""

from datetime import timedelta

import sqlalchemy as sa

from civic.core.models import OutboxMessage
from civic.core.time import utcnow
from civic.deliberation import jobs
from civic.deliberation.models import ReplyNotification
from civic.extensions import db
from tests.helpers import count_rows


def test_first_reply_is_mailed_and_later_ones_wait_for_the_next_digest(factory, make_debate, say, mails):
    debate = make_debate(title="Quelle place pour la voiture ?")
    me = factory.user(email="lea@example.org", name="Léa")
    mine = say(me, debate, "Mon argument", "for")
    say(factory.user(name="Karim"), debate, "Première réponse", parent=mine)
    [first] = mails("lea@example.org")
    assert first.subject == "1 new reply to your comments"
    assert "Karim" in first.body and "Première réponse" in first.body and "Quelle place pour la voiture ?" in first.body
    assert "List-Unsubscribe" in first.headers

    say(factory.user(name="Inès"), debate, "Deuxième réponse", parent=mine)
    say(factory.user(name="Thomas"), debate, "Troisième réponse", parent=mine)
    assert len(mails("lea@example.org")) == 1  # within the period: nothing more
    assert jobs.send_due_reply_digests() == 0

    # The period is over: one mail gathers both replies.
    db.session.execute(sa.update(ReplyNotification).where(ReplyNotification.sent_at.is_not(None))
                       .values(sent_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert jobs.send_due_reply_digests() == 1
    db.session.commit()
    digests = mails("lea@example.org")
    assert len(digests) == 2
    assert digests[1].subject == "2 new replies to your comments"
    assert "Deuxième réponse" in digests[1].body and "Troisième réponse" in digests[1].body


def test_running_the_digest_again_sends_nothing_more(factory, make_debate, say, mails, run_jobs):
    debate = make_debate()
    me = factory.user(email="me@example.org")
    mine = say(me, debate, "Argument", "for")
    say(factory.user(), debate, "Réponse", parent=mine)
    run_jobs()
    assert jobs.send_reply_digest(me.id) is False
    assert jobs.send_due_reply_digests() == 0
    assert len(mails("me@example.org")) == 1
    assert count_rows(OutboxMessage) == 1


def test_replies_deleted_before_the_digest_are_not_mailed(factory, make_debate, say, mails, run_jobs):
    from civic.deliberation import services

    debate = make_debate()
    me = factory.user(email="me@example.org")
    mine = say(me, debate, "Argument", "for")
    say(factory.user(), debate, "Réponse", parent=mine)  # mailed at once
    run_jobs()
    replier = factory.user()
    late = say(replier, debate, "Réponse regrettée", parent=mine)  # waits for the next digest
    services.delete_comment(replier, late)
    db.session.execute(sa.update(ReplyNotification).where(ReplyNotification.sent_at.is_not(None))
                       .values(sent_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert jobs.send_due_reply_digests() == 0
    assert len(mails("me@example.org")) == 1
    assert count_rows(ReplyNotification, ReplyNotification.sent_at.is_(None)) == 0


def test_account_deletion_erases_pending_reply_notifications(factory, make_debate, say):
    from civic.accounts.services import delete_account
    from tests.factories import PASSWORD

    debate = make_debate()
    me = factory.user()
    mine = say(me, debate, "Argument", "for")
    db.session.add(ReplyNotification(recipient_id=me.id, comment_id=mine.id))
    db.session.commit()
    delete_account(me, PASSWORD)
    db.session.commit()
    assert count_rows(ReplyNotification) == 0
