"""Logging out ends the session: copied cookies stop working."""

import sqlalchemy as sa

from civic.accounts.models import UserSession
from civic.extensions import db
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD
from tests.helpers import login


def _clients(app, n=2):
    app.test_client_class = IsolatedClient  # each request its own context, as in production
    return [app.test_client() for _ in range(n)]


DOMAIN = "civic.test"  # the tests' BASE_URL


def _copy_cookies(src, dst):
    for name in ("session", "remember_token"):
        cookie = src.get_cookie(name, domain=DOMAIN)
        if cookie is not None:
            dst.set_cookie(name, cookie.value, domain=DOMAIN)


def _logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_a_copied_session_or_remember_cookie_stops_working_after_logout(app, factory):
    person = factory.user()
    phone, thief, thief2 = _clients(app, 3)
    login(phone, person, remember=True)
    _copy_cookies(phone, thief)
    assert _logged_in(thief)
    assert phone.post("/account/logout").status_code == 302
    assert not _logged_in(thief)
    # The remember cookie alone is revoked too.
    login(phone, person, remember=True)
    thief2.set_cookie("remember_token", phone.get_cookie("remember_token", domain=DOMAIN).value, domain=DOMAIN)
    phone.post("/account/logout")
    assert not _logged_in(thief2)


def test_logging_out_on_one_device_keeps_the_others(app, factory):
    person = factory.user()
    laptop, phone = _clients(app)
    login(laptop, person)
    login(phone, person)
    phone.post("/account/logout")
    assert _logged_in(laptop) and not _logged_in(phone)


def test_log_out_of_every_device_from_the_account_page(app, factory):
    person = factory.user()
    laptop, phone = _clients(app)
    login(laptop, person)
    login(phone, person)
    page = laptop.get("/account/").get_data(as_text=True)
    assert "You are logged in on 2 devices." in page and "Log out of every device" in page
    resp = laptop.post("/account/logout/everywhere")
    assert resp.status_code == 302 and "/account/login" in resp.headers["Location"]
    assert not _logged_in(laptop) and not _logged_in(phone)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_a_new_password_logs_out_the_other_devices_only(app, factory):
    person = factory.user()
    laptop, phone = _clients(app)
    login(laptop, person)
    login(phone, person)
    resp = laptop.post("/account/", data={"action": "password", "password-current_password": PASSWORD,
                                          "password-new_password": "a brand new passphrase"})
    assert resp.status_code == 302
    assert _logged_in(laptop) and not _logged_in(phone)
