"""Petitions in the browser, with the keyboard only: an anonymous visitor signs
an open petition, confirms the signature from the mail received over SMTP
(a POST button, never a GET), and the tally job counts it; an invalid
signature form explains itself next to the fields and keeps what was typed;
the list and a petition read in French; an official publishes the response
to a petition over its threshold. JavaScript on and off; every page passes
axe-core, stays light and calls no other site."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, skip_to_main, switch_language, unique_email

pytestmark = pytest.mark.browser


@pytest.fixture
def make_petition(live_server):
    """An open, city-wide petition built with the petitions test factory.

    Closed again after the test: the live database lasts the session, and the
    home page's petitions section fails on any open petition (see
    civic/petitions/kind.py, home_section), which would break later flows
    that land on the home page."""
    from civic.extensions import db
    from civic.petitions.models import Petition, PetitionState
    from tests.petitions import factories

    made = []

    def make(title: str, **kw) -> SimpleNamespace:
        def build():
            p = factories.petition(
                "open", title=title, background="Des fontaines à eau potable dans le jardin Raymond VI, "
                "pour les familles et les sportifs.", **kw)
            return SimpleNamespace(id=p.id, title=title)
        petition = live_server.query(build)
        made.append(petition.id)
        return petition
    yield make

    def close():
        from civic.core.time import utcnow

        for pid in made:
            p = db.session.get(Petition, pid)
            p.state, p.closed_at = PetitionState.CLOSED, utcnow()
        db.session.commit()
    live_server.query(close)


def _log_in(site, address: str, next_path: str) -> None:
    """As conftest.log_in (keyboard only), but going straight on to ``next_path``."""
    page = site.page
    site.visit(f"/account/login?next={next_path}")
    site.tab_to(page.locator("#email"))
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    site.press("Enter")
    assert page.locator("form[action='/account/logout'] button").count() == 1, f"{address} is not logged in"
    assert page.url == site.live.url(next_path)


def _tally(live) -> int:
    from civic.petitions.tally import tally_signatures

    return live.query(tally_signatures)


def _signature_states(live, petition_id: int) -> list[str]:
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.petitions.models import Signature

    return live.query(lambda: [state.value for state in db.session.scalars(
        sa.select(Signature.state).where(Signature.petition_id == petition_id))])


def _run(site) -> str:
    return f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:6]}"


def _type_into(site, label: str, text: str) -> None:
    site.tab_to(site.page.get_by_label(label, exact=True))
    site.page.keyboard.type(text)


def test_a_visitor_signs_confirms_by_mail_and_is_counted(site, make_petition):
    page, live = site.page, site.live
    petition = make_petition(f"Des fontaines au jardin Raymond VI ({_run(site)})")
    address = unique_email("signer")

    site.visit(f"/petitions/{petition.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(petition.title)
    expect(page.locator("#petition-count [data-count]")).to_have_text("0")
    skip_to_main(site)
    site.enter(page.get_by_role("link", name="Sign this petition"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sign: {petition.title}")

    _type_into(site, "Your name", "Camille Durand")
    _type_into(site, "Your email address", address)
    _type_into(site, "Your postcode", "31000")
    site.tab_to(page.get_by_label("I live, work or study in the city, and I sign only once"))
    page.keyboard.press("Space")
    expect(page.get_by_label("I live, work or study in the city, and I sign only once")).to_be_checked()
    site.enter(page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(address)

    mail = live.wait_for_mail(address)
    assert petition.title in mail.body
    link = mail.link("/confirm")
    assert link.startswith(live.base_url + "/petitions/signature/")

    # Opening the link (as a mail filter's link scanner would) confirms nothing.
    site.visit(link[len(live.base_url):])
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm my signature")
    expect(page.locator("main")).to_contain_text(petition.title)
    _tally(live)
    assert _signature_states(live, petition.id) == ["pending"]
    site.enter(page.get_by_role("button", name="Confirm my signature"))
    expect(page.get_by_role("heading", level=1)).to_have_text(petition.title)
    expect(page.get_by_role("status").first).to_contain_text("Thank you: your signature is confirmed.")

    assert _signature_states(live, petition.id) == ["validated"]

    # The scheduler's tally job folds the signature into the count.
    assert _tally(live) >= 1
    site.visit(f"/petitions/{petition.id}")
    expect(page.locator("#petition-count [data-count]")).to_have_text("1")
    expect(page.locator("#petition-count")).to_contain_text("1 signature")
    expect(page.locator("#petition-progress")).to_have_attribute("value", "1")


def test_an_invalid_signature_is_explained_next_to_the_fields(site, make_petition):
    page, live = site.page, site.live
    petition = make_petition(f"Un banc place Arnaud-Bernard ({_run(site)})")

    site.visit(f"/petitions/{petition.id}/sign")
    skip_to_main(site)
    _type_into(site, "Your name", "Camille Durand")
    _type_into(site, "Your email address", "camille-at-example")
    _type_into(site, "Your postcode", "31000")
    site.enter(page.get_by_role("button", name="Continue"), expect_status=422)

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    email_error = "Enter an email address like name@example.org."
    attest_error = "Tick the box to confirm you may sign."
    expect(summary.get_by_role("link", name=email_error)).to_have_attribute("href", "#email")
    expect(summary.get_by_role("link", name=attest_error)).to_have_attribute("href", "#attest")
    expect(page.locator("#email-error")).to_contain_text(email_error)
    expect(page.locator("#attest-error")).to_contain_text(attest_error)
    email_field = page.get_by_label("Your email address")
    expect(email_field).to_have_attribute("aria-invalid", "true")
    expect(email_field).to_have_attribute("aria-describedby", "email-hint email-error")
    expect(page.get_by_label("Your name")).to_have_value("Camille Durand")
    expect(email_field).to_have_value("camille-at-example")
    expect(page.get_by_label("Your postcode")).to_have_value("31000")

    # The summary's link takes the keyboard to the field at fault.
    site.tab_to(summary.get_by_role("link", name=email_error))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live.url(f'/petitions/{petition.id}/sign')}#email")
    # Nothing was recorded.
    assert _signature_states(live, petition.id) == []


def test_the_list_and_a_petition_read_in_french(site, make_petition):
    page = site.page
    petition = make_petition(f"Des arbres rue d'Alsace-Lorraine ({_run(site)})")

    site.visit("/petitions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Petitions")
    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pétitions")
    expect(page.get_by_role("link", name=petition.title)).to_be_visible()
    site.enter(page.get_by_role("link", name=petition.title), limit=150)
    expect(page.get_by_role("heading", level=1)).to_have_text(petition.title)
    expect(page.get_by_role("heading", name="Ce que demande la pétition")).to_be_visible()
    expect(page.get_by_role("link", name="Signer cette pétition")).to_be_visible()
    site.enter(page.get_by_role("link", name="Signer cette pétition"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Signer : {petition.title}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_an_official_publishes_the_response_to_a_petition_over_its_threshold(site, make_user, make_petition):
    page, live = site.page, site.live
    official = make_user(name="Jean Élu", roles=("official",))
    petition = make_petition(f"Un marché le dimanche aux Carmes ({_run(site)})", response_threshold=2)

    def sign_twice():
        from civic.extensions import db
        from civic.petitions.models import Petition
        from tests.petitions import factories

        factories.signatures(db.session.get(Petition, petition.id), 2)
    live.query(sign_twice)
    _tally(live)

    _log_in(site, official, f"/petitions/{petition.id}")
    expect(page.locator("#petition-count [data-count]")).to_have_text("2")
    expect(page.locator("main")).to_contain_text("Due by")
    skip_to_main(site)
    site.enter(page.get_by_role("link", name="Publish the official response"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the official response")

    decision = page.get_by_label("Decision taken")
    site.tab_to(decision)
    while decision.input_value() != "accepted":
        page.keyboard.press("ArrowDown")
    _type_into(site, "Summary", "Le marché ouvrira en mars, tous les dimanches matin.")
    _type_into(site, "Full response", "La ville accepte.\n\n**Le marché** ouvrira le premier dimanche de mars.")
    site.enter(page.get_by_role("button", name="Publish the response"))

    expect(page.get_by_role("heading", level=1)).to_have_text(petition.title)
    expect(page.get_by_role("status").first).to_contain_text("The response is published.")
    response = page.get_by_role("region", name="The city's response")
    expect(response).to_contain_text("Accepted: the city will do what the petition asks")
    expect(response).to_contain_text("Le marché ouvrira en mars, tous les dimanches matin.")
    expect(response.locator("strong", has_text="Le marché").last).to_be_visible()
    expect(page.locator("main")).to_contain_text("Answered")
    expect(page.get_by_role("link", name="Publish the official response")).to_have_count(0)
