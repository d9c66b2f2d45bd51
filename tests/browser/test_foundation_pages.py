"""Every page of the foundation, for each kind of visitor, passes axe-core
(WCAG 2.1 A/AA), stays under 60 KB and 10 requests and never calls another
site; the password-reset mail arrives over SMTP and its link works."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(site, address, password=PASSWORD):
    page = site.page
    site.visit("/account/login")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(password)
    site.navigate(lambda: page.get_by_role("button", name="Log in").click())
    expect(page.get_by_role("navigation", name="Your account").get_by_role("button", name="Log out")).to_be_visible()


def _ids(live, resident_email):
    from civic.accounts.models import District, User
    from civic.extensions import db

    return live.query(lambda: (
        db.session.scalar(sa.select(User.id).where(User.email == resident_email)),
        db.session.scalar(sa.select(District.id).where(District.code == "T06")),
    ))


def test_pages_for_visitors_pass_the_checks(site):
    page = site.page
    # Home, log-in, registration and password pages are checked in the flows.
    for path in ["/accessibility", "/privacy"]:
        site.visit(path)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
    site.visit("/no-such-page", expect_status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    site.visit("/unsubscribe/not-a-token", expect_status=400)
    expect(page.get_by_role("main")).to_contain_text("This unsubscribe link is not valid.")


def test_pages_for_residents_pass_the_checks(site, make_user):
    address = make_user(name="Nadia R.")
    _log_in(site, address)
    # My account and My data are checked in the download flow.
    site.visit("/account/verify")
    expect(site.page.get_by_role("heading", level=1)).to_have_text("Verify that you live here")
    # An admin page is refused with a readable page, not a bare error.
    site.visit("/admin/", expect_status=403)
    expect(site.page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_pages_for_administrators_and_mediators_pass_the_checks(site, make_user):
    resident = make_user(name="Habitant T.")
    admin = make_user(name="Admin A.", roles=("admin",))
    user_id, district_id = _ids(site.live, resident)
    _log_in(site, admin)
    for path in ["/admin/", "/admin/users", f"/admin/users/{user_id}", "/admin/districts",
                 "/admin/districts/new", f"/admin/districts/{district_id}", "/admin/census",
                 "/admin/settings", "/admin/audit", "/counter/", f"/counter/person/{user_id}"]:
        site.visit(path)
        expect(site.page.get_by_role("heading", level=1)).to_have_count(1)


def test_password_reset_by_mail_over_smtp(site, make_user):
    page, live = site.page, site.live
    address = make_user(name="Jeanne D.")
    site.visit("/account/login")
    site.navigate(lambda: page.get_by_role("link", name="I forgot my password").click())
    page.get_by_label("Email address").fill(address)
    site.navigate(lambda: page.get_by_role("button", name="Send me a link").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    mail = live.wait_for_mail(address)
    assert mail.subject == "Reset your password"
    page.goto(mail.link("/account/password/reset/"))
    site.check()
    page.get_by_label("New password").fill("a brand new passphrase")
    site.navigate(lambda: page.get_by_role("button", name="Save my new password").click())
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed.")
    _log_in(site, address, "a brand new passphrase")
