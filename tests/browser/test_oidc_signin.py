"""Signing in with FranceConnect through a real OpenID Connect provider
(panva's oidc-provider, tests/oidc_provider), in French, with JavaScript on
and off: the identity the state vouches for is matched to the imported
electoral roll, and the account page says the person is a verified elector.

The provider's own pages are on another port (another site): they are used
by role and label like Civic's, but axe and the page budget check only
Civic's pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.oidc import ACCOUNT_PASSWORD, start_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def franceconnect(live_server):
    base = live_server.base_url
    running = start_provider([f"{base}/account/oidc/test/callback"], [f"{base}/account/oidc/logged-out"])
    before = live_server.app.config.get("OIDC_PROVIDERS")
    live_server.app.config["OIDC_PROVIDERS"] = [running.civic_config(label="FranceConnect")]

    def import_roll():
        from civic.accounts import roll
        from civic.accounts.electors import identity_hash
        from civic.extensions import db
        from tests import factories

        admin = factories.user(roles=["admin"])
        # The roll writes the birth name with a hyphen and the given names
        # with a space; FranceConnect gives "Dupont Martin" and "Anne-Marie".
        roll.replace_roll(admin, [(identity_hash("DUPONT-MARTIN", "Anne Marie", "1980-03-14"), "12"),
                                  (identity_hash("MARTIN", "Paul", "1960-01-01"), "3")], filename="liste.csv")
        db.session.commit()

    live_server.query(import_roll)
    yield running
    live_server.app.config["OIDC_PROVIDERS"] = before
    running.stop()


def test_sign_in_with_franceconnect_lands_logged_in_as_a_verified_elector(site, franceconnect):
    page, live = site.page, site.live
    site.visit("/account/login")
    site.enter(page.get_by_role("link", name="Français"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")

    # At the provider (another site): its login page, by label; consent is given at once.
    site.tab_to(page.get_by_role("button", name="S’identifier avec FranceConnect"))
    page.keyboard.press("Enter")
    page.wait_for_url(franceconnect.issuer.rstrip("/") + "/**")
    page.get_by_label("Identifiant").fill("anne")
    page.get_by_label("Mot de passe").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live.base_url + "/**")
    page.wait_for_load_state("load")
    site.forget_requests()
    site.console_errors.clear()

    site.visit("/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_text("Électrice ou électeur vérifié")).to_be_visible()
    expect(page.get_by_text("Identité FranceConnect sur la liste électorale")).to_be_visible()
    account_nav = page.get_by_role("navigation", name="Votre compte")
    expect(account_nav.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_an_admin_imports_the_roll_mapping_its_columns_with_a_preview_of_the_refused_rows(site, make_user, tmp_path):
    from tests.browser.conftest import log_in

    page = site.page
    admin = make_user(name="Anne Admin", roles=("admin",))
    log_in(site, admin)
    site.visit("/admin/roll")
    export = tmp_path / "liste.csv"
    export.write_bytes("Nom de naissance;Prénoms;Date de naissance;Bureau\nBERNARD;Lucie Anne;02/03/1990;4\n"
                       "ROBERT;;01/01/1970;4\n".encode("cp1252"))
    page.get_by_label("Export of the electoral list (CSV)").set_input_files(str(export))
    site.navigate(lambda: page.get_by_role("button", name="Upload and map the columns").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Map the columns of the electoral roll")
    expect(page.get_by_label("Birth name")).to_have_value("0")
    expect(page.get_by_label("Polling station")).to_have_value("3")
    site.navigate(lambda: page.get_by_role("button", name="Preview").click())
    expect(page.get_by_role("status")).to_contain_text("1 rows can be imported, 1 are refused.")
    expect(page.get_by_role("table", name="Refused rows")).to_contain_text("given names missing")
    site.navigate(lambda: page.get_by_role("button", name="Import 1 electors").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Electoral roll")
    expect(page.get_by_role("table", name="History of imports")).to_contain_text("liste.csv")


def test_a_resident_asks_for_a_letter_and_an_admin_sees_it_waiting(site, make_user):
    from tests.browser.conftest import log_in

    page = site.page
    resident = make_user(name="Léa Martin")
    log_in(site, resident)
    site.visit("/account/")
    site.enter(page.get_by_role("link", name="Verify by post"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify by post")
    page.get_by_label("Your name and postal address, as on an envelope").fill(
        "Léa Martin\n12 rue des Lilas\n31000 Toulouse")
    site.navigate(lambda: page.get_by_role("button", name="Ask for the letter").click())
    expect(page.get_by_role("status").first).to_contain_text("Your request is recorded")
    expect(page.get_by_text("A letter was asked for on")).to_be_visible()
    site.navigate(lambda: page.get_by_role("button", name="Log out").click())
    log_in(site, make_user(name="Anne Admin", roles=("admin",)))
    site.visit("/admin/letters")
    expect(page.get_by_label("Léa Martin, 12 rue des Lilas, 31000 Toulouse", exact=False).first).to_be_checked()


def test_a_mediator_checks_a_person_on_the_roll_at_the_counter(site, make_user):
    from tests.browser.conftest import log_in

    page, live = site.page, site.live
    given = "Lucie" if site.js else "Lucienne"  # one elector, one account: a new one per run

    def roll_with_lucie():
        from civic.accounts import roll
        from civic.accounts.electors import identity_hash
        from civic.extensions import db
        from tests import factories

        roll.replace_roll(factories.user(roles=["admin"]), [(identity_hash("BERNARD", given, "1990-03-02"), "4")],
                          filename="liste.csv")
        db.session.commit()

    live.query(roll_with_lucie)
    person = make_user(name="Lucie B.")
    log_in(site, make_user(name="Amina Médiatrice", roles=("mediator",)))
    site.visit("/counter/")
    page.get_by_label("Email address").fill(person)
    site.navigate(lambda: page.get_by_label("Email address").press("Enter"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lucie B.")
    page.get_by_label("Birth name").fill("Bernard")
    page.get_by_label("Given names, all of them").fill(given)
    page.get_by_label("Date of birth").fill("1990-03-02")
    page.get_by_label("I have seen an identity document with these details").check()
    site.navigate(lambda: page.get_by_role("button", name="Check the roll").click())
    expect(page.get_by_text("Verified elector: on the electoral roll in force.")).to_be_visible()
