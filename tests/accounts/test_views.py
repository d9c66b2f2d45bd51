"""Accounts through the browser-facing views: register, confirm, log in, reset, settings, my data."""

import json

import sqlalchemy as sa

from civic.accounts.models import User
from civic.core.models import AuditEntry
from civic.extensions import db
from tests.factories import PASSWORD


def test_register_confirm_and_login(client, mails):
    resp = client.post("/account/register", data={"display_name": "Léa", "email": "Lea@Example.org",
                                                  "password": "a long enough pw", "district_id": ""})
    assert resp.status_code == 200
    assert "Check your email" in resp.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.email == "lea@example.org"))
    assert user is not None and user.email_confirmed_at is None
    [mail] = mails("lea@example.org")
    assert mail.subject == "Confirm your email address"
    link = mail.link("/account/confirm/")
    path = link.replace("http://civic.test", "")
    # Opening the link (as a mail scanner would) does not confirm.
    assert client.get(path).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None
    resp = client.post(path)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is not None
    resp = client.post("/account/login", data={"email": "lea@example.org", "password": "a long enough pw"})
    assert resp.status_code == 302
    assert "My account" in client.get("/").get_data(as_text=True)


def test_invalid_registration_keeps_input_and_says_why(client):
    resp = client.post("/account/register", data={"display_name": "Léa", "email": "not-an-address",
                                                  "password": "short"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "There is a problem" in html
    assert 'value="Léa"' in html and 'value="not-an-address"' in html
    assert "Enter an email address like name@example.org." in html
    assert "Use at least 10 characters." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_registering_an_existing_address_reveals_nothing_and_mails_the_owner(client, mails, factory):
    factory.user(email="taken@example.org")
    resp = client.post("/account/register", data={"display_name": "X", "email": "taken@example.org",
                                                  "password": "a long enough pw"})
    assert resp.status_code == 200 and "Check your email" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    [mail] = mails("taken@example.org")
    assert "already" in mail.body


def test_login_is_throttled_after_repeated_failures_without_enumeration(client, factory):
    factory.user(email="me@example.org")
    for _ in range(5):
        resp = client.post("/account/login", data={"email": "me@example.org", "password": "wrong password"})
        assert resp.status_code == 422
        assert "Email address or password is incorrect." in resp.get_data(as_text=True)
    resp = client.post("/account/login", data={"email": "me@example.org", "password": PASSWORD})
    assert resp.status_code == 429  # the form again, with the reason, and the status that says "later"
    assert "Too many failed attempts" in resp.get_data(as_text=True)
    unknown = client.post("/account/login", data={"email": "nobody@example.org", "password": "wrong password"})
    assert "Email address or password is incorrect." in unknown.get_data(as_text=True)


def test_password_reset_link_works_once(client, mails, factory):
    factory.user(email="me@example.org")
    resp = client.post("/account/password/forgot", data={"email": "me@example.org"})
    assert resp.status_code == 200
    client.post("/account/password/forgot", data={"email": "nobody@example.org"})
    [mail] = mails()
    assert mail.to == "me@example.org"
    path = mail.link("/account/password/reset/").replace("http://civic.test", "")
    assert client.post(path, data={"password": "my new password"}).status_code == 302
    again = client.post(path, data={"password": "another password"})
    assert again.status_code == 422
    assert "already been used" in again.get_data(as_text=True)
    assert client.post("/account/login", data={"email": "me@example.org", "password": "my new password"}).status_code == 302


def test_my_data_download_lists_account_and_deletion_erases_it(client, login, factory):
    u = factory.user(email="me@example.org", name="Léa Martin")
    login(u)
    resp = client.get("/account/my-data.json")
    data = json.loads(resp.get_data())
    assert data["account"]["email"] == "me@example.org"
    assert data["account"]["display_name"] == "Léa Martin"
    resp = client.post("/account/delete", data={"password": "wrong", "confirm": "y"})
    assert resp.status_code == 422
    resp = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    gone = db.session.get(User, u.id)
    assert gone.email is None and gone.display_name == "—" and gone.deleted_at is not None
    assert client.get("/account/").status_code == 302  # logged out
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "account.deleted")) is not None


def test_language_switch_and_accept_language(client):
    assert "Take part in your city" in client.get("/").get_data(as_text=True)
    fr = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in fr
    client.post("/language", data={"lang": "fr", "next": "/privacy"})
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_a_malformed_grant_id_on_revoke_is_a_clear_404_not_an_error(client, factory, login):
    admin = factory.user(roles=("admin",))
    person = factory.user()
    login(admin)
    resp = client.post(f"/admin/users/{person.id}", data={"action": "revoke", "grant_id": "x1", "reason": "r"})
    assert resp.status_code == 404


def test_registration_is_limited_per_network_with_the_input_kept(client, monkeypatch):
    from civic.accounts.services import identity as account_services

    monkeypatch.setattr(account_services, "REGISTER_IP_LIMIT", 2)
    for n in range(2):
        resp = client.post("/account/register", data={"display_name": f"P{n}", "email": f"p{n}@example.org",
                                                      "password": "a long enough pw"})
        assert resp.status_code == 200
    resp = client.post("/account/register", data={"display_name": "Third", "email": "third@example.org",
                                                  "password": "a long enough pw"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429 and "Too many accounts were created from this network" in html
    assert 'value="third@example.org"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_the_owner_of_an_address_is_told_of_attempts_once_a_day(client, factory, mails):
    factory.user(email="taken@example.org")
    for _ in range(4):
        resp = client.post("/account/register", data={"display_name": "X", "email": "taken@example.org",
                                                      "password": "a long enough pw"})
        assert resp.status_code == 200 and "Check your email" in resp.get_data(as_text=True)
    assert len(mails("taken@example.org")) == 1
