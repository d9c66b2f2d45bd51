"""The foundation's promises, as a keyboard and screen-reader user meets them:
register and confirm by mail in English or French, log in, download my data,
understand a form error, skip to the content. Every test runs with JavaScript
on and off, and every page it reaches passes axe-core (WCAG 2.1 A/AA), weighs
under 60 KB in under 10 requests, and makes no request outside the site."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, read_json, unique_email

pytestmark = pytest.mark.browser


def _user(live, address):
    from civic.accounts.models import User
    from civic.extensions import db

    return live.query(lambda: db.session.scalar(sa.select(User).where(User.email == address)))


def test_register_confirm_by_mail_and_log_in_with_the_keyboard_only(site):
    page, live = site.page, site.live
    address = unique_email("keyboard")
    site.visit("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Take part in your city")

    # Tab to the "Create an account" link in the header and follow it with Enter.
    site.tab_to(page.get_by_role("link", name="Create an account").first)
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")

    # Tab through the form in reading order, typing into each field.
    site.tab_to(page.get_by_label("Name shown to others"))
    page.keyboard.type("Léa M.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("a long enough passphrase")
    site.press("Enter")  # Enter in a field submits the form
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("status")).to_contain_text(address)
    assert _user(live, address).email_confirmed_at is None

    mail = live.wait_for_mail(address)
    assert mail.subject == "Confirm your email address"
    assert "Hello Léa M.," in mail.body
    link = mail.link("/account/confirm/")
    assert link.startswith(live.base_url + "/")

    # Opening the link only shows a button (mail scanners must not confirm).
    page.goto(link)
    site.check()
    assert _user(live, address).email_confirmed_at is None
    site.tab_to(page.get_by_role("button", name="Confirm my address"))
    site.press("Space")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    expect(page.get_by_label("Email address")).to_have_value(address)
    assert _user(live, address).email_confirmed_at is not None

    site.tab_to(page.get_by_label("Password"))
    page.keyboard.type("a long enough passphrase")
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Take part in your city")
    account_nav = page.get_by_role("navigation", name="Your account")
    expect(account_nav.get_by_role("link", name="My account")).to_be_visible()
    expect(account_nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(account_nav.get_by_role("link", name="Log in")).to_have_count(0)


def test_register_and_confirm_in_french_after_switching_language(site):
    page, live = site.page, site.live
    address = unique_email("francais")
    site.visit("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    switch = page.get_by_role("link", name="Français")
    switch.focus()
    site.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Participez à la vie de votre ville")
    expect(page.get_by_role("link", name="English")).to_be_visible()
    expect(page.get_by_role("link", name="Aller au contenu principal")).to_be_attached()

    link = page.get_by_role("navigation", name="Votre compte").get_by_role("link", name="Créer un compte")
    link.focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    page.get_by_label("Nom affiché").fill("Karim B.")
    page.get_by_label("Adresse e-mail").fill(address)
    page.get_by_label("Mot de passe").fill("une phrase assez longue")
    page.get_by_label("Votre quartier").select_option(label="Saint-Cyprien")
    page.get_by_role("button", name="Créer mon compte").focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
    expect(page.get_by_role("status")).to_contain_text(f"Nous avons envoyé un message à {address}")

    user = _user(live, address)
    assert user.locale == "fr" and user.district_id is not None

    mail = live.wait_for_mail(address)
    assert mail.subject == "Confirmez votre adresse e-mail"
    assert "Bonjour Karim B.," in mail.body
    assert "Merci de confirmer votre adresse e-mail" in mail.body
    page.goto(mail.link("/account/confirm/"))
    site.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre adresse e-mail")
    page.get_by_role("button", name="Confirmer mon adresse").focus()
    site.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Votre adresse e-mail est confirmée.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")

    page.get_by_label("Mot de passe").fill("une phrase assez longue")
    page.get_by_role("button", name="Se connecter").focus()
    site.press("Enter")
    nav = page.get_by_role("navigation", name="Votre compte")
    expect(nav.get_by_role("link", name="Mon compte")).to_be_visible()
    expect(nav.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert _user(live, address).email_confirmed_at is not None


def test_my_data_download_contains_my_email(site, make_user, tmp_path):
    page = site.page
    address = make_user(name="Léa Martin")
    site.visit("/account/login")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").focus()
    site.press("Enter")

    page.get_by_role("link", name="My account").focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    page.get_by_role("link", name="See, download or delete my data").focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My data")
    expect(page.get_by_role("main")).to_contain_text(address)

    download_link = page.get_by_role("link", name="Download my data (JSON)")
    download_link.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == "my-civic-data.json"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    site.forget_requests()  # a download is not a page: it is not weighed
    data = read_json(target)
    assert data["account"]["email"] == address
    assert data["account"]["display_name"] == "Léa Martin"


def test_invalid_registration_lists_errors_linked_to_fields_and_keeps_input(site):
    page, live = site.page, site.live
    site.visit("/account/register")
    page.get_by_label("Name shown to others").fill("Léa")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").focus()
    site.press("Enter", expect_status=422)

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    email_error = summary.get_by_role("link", name="Enter an email address like name@example.org.")
    password_error = summary.get_by_role("link", name="Use at least 10 characters.")
    expect(email_error).to_have_attribute("href", "#" + page.get_by_label("Email address").get_attribute("id"))
    expect(password_error).to_have_attribute("href", "#" + page.get_by_label("Password").get_attribute("id"))

    # The input is kept, the fields say they are invalid and why.
    email_field = page.get_by_label("Email address")
    expect(page.get_by_label("Name shown to others")).to_have_value("Léa")
    expect(email_field).to_have_value("not-an-address")
    expect(email_field).to_have_attribute("aria-invalid", "true")
    expect(email_field).to_have_accessible_description(re.compile("Enter an email address like name@example.org."))
    expect(page.get_by_label("Password")).to_have_accessible_description(re.compile("Use at least 10 characters."))

    # Following a link in the summary puts the keyboard in the field to fix.
    email_error.focus()
    page.keyboard.press("Enter")
    expect(email_field).to_be_focused()
    password_error.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Password")).to_be_focused()

    from civic.accounts.models import User
    from civic.extensions import db

    assert live.query(lambda: db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.display_name == "Léa"))) == 0


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(site):
    page = site.page
    for path in ["/", "/account/register"]:
        site.visit(path)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()  # visible when focused, not only to screen readers
        page.keyboard.press("Enter")
        expect(page.get_by_role("main")).to_be_focused()
        # The next Tab continues in the content, not back in the header.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)"), (
            f"{path}: after the skip link, Tab went to {site.focused_description()}")
