"""Newsletters: explicit consent, writing and testing a letter, paced sending
exactly once, one-click withdrawal, the public archive."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core import consents
from civic.core.models import MailOptOut, OutboxMessage
from civic.core.settings import store_setting
from civic.core.time import utcnow
from civic.extensions import db
from civic.newsletters import sending, services
from civic.newsletters.models import Newsletter, Status
from tests.helpers import count_rows, reload


@pytest.fixture
def admin(factory):
    return factory.user("admin@example.org", "Camille", roles=["admin"])


def _consenting(factory, n, **kw):
    people = [factory.user(**kw) for _ in range(n)]
    for p in people:
        consents.give(p, sending.TOPIC)
    db.session.commit()
    return people


def _letter(actor, district_id=None, subject="Les nouvelles du mois"):
    letter = services.create_newsletter(actor, subject, "Bonjour,\n\n**Le vote est ouvert.**", district_id)
    db.session.commit()
    return letter


def test_registration_asks_for_the_consent_unticked_and_records_its_wording_and_date(client, mails):
    page = client.get("/account/register", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Je souhaite recevoir la lettre d’information de la ville par e-mail" in page
    assert 'name="consent" value="newsletter" aria-describedby' in page and "checked" not in page.split('value="newsletter"')[1].split(">")[0]
    # The form comes back with an error: the ticked box stays ticked.
    bad = client.post("/account/register", data={"display_name": "Léa", "email": "lea@example.org", "password": "court",
                                                   "consent": "newsletter"}, headers={"Accept-Language": "fr"})
    assert bad.status_code == 422
    assert 'value="newsletter" aria-describedby="consent-newsletter-hint" checked' in bad.get_data(as_text=True)
    ok = client.post("/account/register", data={"display_name": "Léa", "email": "lea@example.org",
                                                "password": "une phrase assez longue", "consent": "newsletter"},
                     headers={"Accept-Language": "fr"})
    assert ok.status_code == 200
    row = db.session.scalars(sa.select(consents.Consent)).one()
    assert row.key == "newsletter" and row.locale == "fr" and row.withdrawn_at is None
    assert row.wording == "Je souhaite recevoir la lettre d’information de la ville par e-mail"
    client.post("/account/register", data={"display_name": "Karim", "email": "karim@example.org",
                                            "password": "une phrase assez longue"})
    assert count_rows(consents.Consent) == 1  # not ticked: no consent


def test_an_unknown_consent_is_refused_and_nothing_is_created(client):
    resp = client.post("/account/register", data={"display_name": "Léa", "email": "lea@example.org",
                                                   "password": "une phrase assez longue", "consent": "marketing"})
    assert resp.status_code == 422 and "Choose among the options shown." in resp.get_data(as_text=True)
    assert count_rows(consents.Consent) == 0


def test_consent_is_given_and_withdrawn_from_the_account_page_and_shown_in_my_data(client, login, factory):
    lea = factory.user("lea@example.org")
    login(lea)
    page = client.get("/account/").get_data(as_text=True)
    assert "What I agreed to receive" in page and "You have not agreed to this." in page
    assert client.post("/account/", data={"action": "consent_give", "consent": "newsletter"}).status_code == 302
    assert "You agreed on" in client.get("/account/").get_data(as_text=True)
    client.post("/account/", data={"action": "consent_withdraw", "consent": "newsletter"})
    assert not consents.has_consent(reload(lea), "newsletter")
    row = db.session.scalars(sa.select(consents.Consent)).one()
    assert row.withdrawn_via == "account" and row.withdrawn_at is not None
    data = client.get("/account/my-data.json").get_json()
    assert data["consents"][0]["consent"] == "newsletter" and data["consents"][0]["withdrawn_at"]
    assert client.post("/account/", data={"action": "consent_give", "consent": "nope"}).status_code == 404


def test_only_officials_write_and_a_district_official_writes_only_to_their_district(client, login, factory):
    d1, d2 = factory.district(), factory.district()
    login(factory.user())
    assert client.get("/newsletters/new").status_code == 403
    client.post("/account/logout")
    login(factory.user(roles=[("official", d1)]))
    page = client.get("/newsletters/new").get_data(as_text=True)
    assert "Every resident who asked" not in page and d1.name in page and d2.name not in page
    resp = client.post("/newsletters/new", data={"subject": "Réunion", "body": "Jeudi", "district_id": str(d2.id)})
    assert resp.status_code == 422 and "You can only write to the districts you serve." in resp.get_data(as_text=True)
    resp = client.post("/newsletters/new", data={"subject": "Réunion", "body": "", "district_id": str(d1.id)})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Write the letter." in body and 'value="Réunion"' in body
    assert count_rows(Newsletter) == 0
    resp = client.post("/newsletters/new", data={"subject": "Réunion", "body": "Jeudi <script>x()</script> **18 h**",
                                                 "district_id": str(d1.id)})
    assert resp.status_code == 302
    letter = db.session.scalars(sa.select(Newsletter)).one()
    assert letter.district_id == d1.id and "<script>" not in letter.body_html and "<strong>18 h</strong>" in letter.body_html
    preview = client.get(f"/newsletters/{letter.id}/edit").get_data(as_text=True)
    assert "<strong>18 h</strong>" in preview and "It would reach 0 residents today." in preview
    assert client.get(f"/newsletters/{letter.id}").status_code == 200  # its author sees the draft
    client.post("/account/logout")
    assert client.get(f"/newsletters/{letter.id}").status_code == 404  # the public does not


def test_a_test_goes_to_its_author_only(client, login, admin, factory, mails):
    _consenting(factory, 2)
    letter = _letter(admin)
    login(admin)
    assert client.post(f"/newsletters/{letter.id}/edit", data={"action": "test"}).status_code == 302
    got = mails()
    assert [m.to for m in got] == ["admin@example.org"]
    assert got[0].subject == "[Test] Les nouvelles du mois" and "This is a test" in got[0].body
    assert reload(letter).status == Status.DRAFT


def test_scheduled_letter_reaches_consenting_confirmed_residents_of_its_district_once(client, login, admin, factory,
                                                                                    mails):
    d1, d2 = factory.district(), factory.district()
    inside = _consenting(factory, 3, district_id=d1.id)
    _consenting(factory, 2, district_id=d2.id)            # another district
    _consenting(factory, 1, district_id=d1.id, confirmed=False)  # address never confirmed
    factory.user(district_id=d1.id)                       # never consented
    withdrawn = _consenting(factory, 1, district_id=d1.id)[0]
    consents.withdraw(withdrawn, sending.TOPIC)
    db.session.commit()
    letter = _letter(admin, d1.id)
    login(admin)
    past = client.post(f"/newsletters/{letter.id}/edit", data={"action": "schedule", "s-send_at": "2020-01-01T10:00"})
    assert past.status_code == 422 and "Choose a moment in the future" in past.get_data(as_text=True)
    assert client.post(f"/newsletters/{letter.id}/edit", data={"action": "schedule", "s-send_at": ""}).status_code == 302
    assert sending.run_sender() == 3
    assert sending.run_sender() == 0  # a second run (or a second scheduler) sends nothing more
    letter = reload(letter)
    assert letter.status == Status.SENT and letter.queued_count == 3 and letter.sent_at is not None
    got = mails()
    assert sorted(m.to for m in got) == sorted(p.email for p in inside)
    mail = got[0]
    assert mail.subject == "Les nouvelles du mois" and "**Le vote est ouvert.**" in mail.body
    assert "List-Unsubscribe" in mail.headers and "<img" not in mail.body
    assert mail.link(f"/newsletters/{letter.id}")
    # Sent: in the public archive, and no longer editable.
    client.post("/account/logout")
    assert "Les nouvelles du mois" in client.get("/newsletters/").get_data(as_text=True)
    assert client.get(f"/newsletters/{letter.id}").status_code == 200
    login(admin)
    late = client.post(f"/newsletters/{letter.id}/edit", data={"action": "unschedule"})
    assert late.status_code == 403


def test_sending_is_paced_and_resumes_after_a_crash_without_sending_twice(app, admin, factory, monkeypatch):
    people = _consenting(factory, 25)
    store_setting("newsletters.per_minute", 10)
    db.session.commit()
    letter = _letter(admin)
    services.schedule(admin, letter, None)
    db.session.commit()
    assert sending.run_sender() == 10
    assert reload(letter).status == Status.SENDING
    # The worker dies after queueing the next chunk's mails, before its commit: nothing of that chunk stays.
    real = sending.queue_chunk

    def dies(letter, limit):
        real(letter, limit)
        raise SystemExit("worker killed")
    monkeypatch.setattr(sending, "queue_chunk", dies)
    with pytest.raises(SystemExit):
        sending.run_sender()
    db.session.rollback()
    monkeypatch.setattr(sending, "queue_chunk", real)
    assert sending.run_sender() == 10
    assert sending.run_sender() == 5
    assert reload(letter).status == Status.SENT
    rows = db.session.execute(sa.select(OutboxMessage.to_email).where(OutboxMessage.topic == "newsletter")).scalars().all()
    assert sorted(rows) == sorted(p.email for p in people)  # each once


def test_one_click_unsubscribe_withdraws_the_consent_and_consenting_again_lifts_it(client, admin, factory, mails):
    lea = _consenting(factory, 1)[0]
    letter = _letter(admin)
    services.schedule(admin, letter, None)
    db.session.commit()
    sending.run_sender()
    mail = mails(lea.email)[0]
    url = mail.link("/unsubscribe/")
    # RFC 8058: the mail client POSTs the link; no login, no CSRF token.
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    row = db.session.scalars(sa.select(consents.Consent)).one()
    assert row.withdrawn_at is not None and row.withdrawn_via == "mail"
    consents.give(reload(lea), sending.TOPIC)
    db.session.commit()
    assert count_rows(MailOptOut) == 0 and count_rows(consents.Consent) == 2  # the history is kept


def test_a_later_schedule_waits_for_its_moment(admin, factory, clock):
    _consenting(factory, 2)
    letter = _letter(admin)
    services.schedule(admin, letter, clock.now + timedelta(hours=2))
    db.session.commit()
    assert sending.run_sender() == 0 and reload(letter).status == Status.SCHEDULED
    clock.advance(hours=2, minutes=1)
    assert sending.run_sender() == 2


def test_the_archive_page_offers_the_newsletter_to_a_logged_in_resident(client, login, factory):
    lea = factory.user()
    login(lea)
    page = client.get("/newsletters/").get_data(as_text=True)
    assert "No letter has been sent yet." in page
    assert client.post("/newsletters/subscribe", data={"action": "give"}).status_code == 302
    assert consents.has_consent(reload(lea), "newsletter")
    assert "You receive the newsletter." in client.get("/newsletters/").get_data(as_text=True)
    assert client.get("/newsletters/?page=abc").status_code == 422
    assert utcnow()
