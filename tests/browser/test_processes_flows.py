"""Participatory processes in the browser, with the keyboard only: a resident
finds a process, submits a proposal past the "similar proposals" step,
another supports it, amends it and comments on it through the deliberation
panel, the author accepts the amendment, an official answers, and the
proposal's page tells its whole history, in English then French. JavaScript
on and off; every page passes axe-core, stays light and calls no other site."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out, skip_to_main, switch_language, wait_for_mails

pytestmark = pytest.mark.browser


def _process(live, admin: str, other_author: str, title: str) -> SimpleNamespace:
    """A city-wide process in its proposals phase (submit, support, comment),
    one support needed for an official answer, and one proposal already in it,
    made with the processes factories (through the services)."""
    def build():
        from civic.accounts.services import find_user_by_email
        from tests.processes import factories

        process = factories.process(find_user_by_email(admin), title=title, categories=["Pistes", "Stationnement"],
                                    threshold_type="count", threshold_value=1, answer_delay_days=30)
        existing = factories.proposal(process, find_user_by_email(other_author), category="Pistes",
                                      body="Une piste cyclable séparée des voitures sur toute la rue de Metz, "
                                      "du pont Neuf aux Carmes.")
        return SimpleNamespace(id=process.id, title=title, existing=existing.id)
    return live.query(build)


def _proposal(live, title: str):
    from civic.extensions import db
    from civic.processes.models import Proposal

    return live.query(lambda: db.session.scalar(sa.select(Proposal).where(Proposal.title == title)))


def test_a_proposal_is_submitted_supported_amended_discussed_and_answered_with_the_keyboard(
        site, make_user, make_resident):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    admin = make_user(name="Anne Admin", roles=("admin",))
    official = make_user(name="Jean Élu", roles=("official",))
    author = make_resident("Léa M.", "T06")
    supporter = make_resident("Karim B.", "T17")
    process = _process(live, admin, make_user(name="Inès G."), f"Plan vélo 2027 ({run})")

    # --- the author finds the process and submits a proposal.
    log_in(site, author)
    site.visit("/processes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Participatory processes")
    site.enter(page.get_by_role("link", name=process.title))
    expect(page.get_by_role("heading", level=1)).to_have_text(process.title)
    expect(page.get_by_role("heading", name="What you can do now")).to_be_visible()
    site.enter(page.get_by_role("link", name="Submit a proposal"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a proposal")
    title = f"Piste cyclable protégée avenue de Metz ({run})"
    site.tab_to(page.get_by_label("Title"))
    page.keyboard.type(title)
    if site.js:  # similar proposals appear while typing, in a live region
        expect(page.locator("#similar-live")).to_contain_text("Une piste cyclable rue de Metz")
        site.check()  # the fragment the script inserted passes axe too (and its request is weighed)
    site.tab_to(page.get_by_label("Your proposal"))
    page.keyboard.type("Séparer les vélos des voitures avenue de Metz avec une bordure, sur les deux côtés.")
    category = page.get_by_label("Category")
    site.tab_to(category)
    page.keyboard.press("ArrowDown")
    while category.input_value() != "Pistes":
        page.keyboard.press("ArrowDown")
    site.tab_to(page.get_by_role("button", name="Publish my proposal"))
    site.press("Enter")
    # Without waiting for any script, the server shows the similar proposals first.
    similar = page.get_by_role("region", name="Similar proposals already exist")
    expect(similar.get_by_role("link", name="Une piste cyclable rue de Metz")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(title)
    assert _proposal(live, title) is None
    site.enter(page.get_by_role("button", name="Publish my proposal anyway"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status").first).to_contain_text("Your proposal is published.")
    proposal = _proposal(live, title)
    assert proposal.category == "Pistes" and proposal.support_count == 0
    log_out(site)

    # --- another resident supports it (and asks for the answer by mail), amends it, comments on it.
    log_in(site, supporter)
    site.visit(f"/proposals/{proposal.id}")
    skip_to_main(site)
    site.tab_to(page.get_by_label("Email me the official answer"))
    page.keyboard.press("Space")
    site.enter(page.get_by_role("button", name="Support this proposal"))
    expect(page.get_by_role("status").first).to_contain_text("Thank you: your support is counted.")
    expect(page.locator("#support")).to_contain_text("1 support")
    expect(page.locator("#support")).to_contain_text("You support this proposal.")
    expect(page.locator("#answer")).to_contain_text("The city owes an answer by")

    site.enter(page.get_by_role("link", name="Propose an amended text"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose an amendment")
    site.tab_to(page.get_by_label("Amended text"))
    page.keyboard.press("Control+End")
    page.keyboard.type(" Avec des arceaux à chaque carrefour.")
    site.tab_to(page.get_by_label("What your amendment changes and why"))
    page.keyboard.type("Sans stationnement, la piste sert moins.")
    site.enter(page.get_by_role("button", name="Publish my amendment"))
    expect(page.get_by_role("status").first).to_contain_text("Your amendment is published.")
    expect(page.locator("#amendments")).to_contain_text("Waiting for the author")

    site.tab_to(page.get_by_label("For", exact=True), limit=120)
    page.keyboard.press("Space")
    site.tab_to(page.get_by_label("Your comment"))
    page.keyboard.type("Pour : c'est l'axe le plus dangereux du quartier.")
    site.enter(page.get_by_role("button", name="Publish my comment"))
    expect(page.get_by_role("status").first).to_contain_text("Your comment is published.")
    expect(page.get_by_role("article", name="Karim B.")).to_contain_text("c'est l'axe le plus dangereux")
    log_out(site)

    # --- the author accepts the amendment: the text changes, the versions are kept.
    log_in(site, author)
    site.visit(f"/proposals/{proposal.id}")
    skip_to_main(site)
    site.enter(page.get_by_role("button", name="Accept: replace my text"), limit=120)
    expect(page.get_by_role("status").first).to_contain_text("The amendment is accepted: your text has changed.")
    expect(page.locator(".prose").first).to_contain_text("Avec des arceaux à chaque carrefour.")
    expect(page.get_by_role("link", name="2 versions of the text")).to_be_visible()
    log_out(site)

    # --- an official answers it publicly.
    log_in(site, official)
    site.visit(f"/proposals/{proposal.id}")
    skip_to_main(site)
    site.enter(page.get_by_role("link", name="Answer or follow up this proposal (officials)"), limit=120)
    expect(page.get_by_role("heading", level=1)).to_have_text("Official follow-up")
    decision = page.get_by_role("combobox", name="Decision")
    site.tab_to(decision)  # "Accept" is the first choice
    expect(decision).to_have_value("accepted")
    site.tab_to(page.get_by_role("textbox", name="Official answer"))
    page.keyboard.type("Accepté : les travaux sont inscrits au programme 2027, arceaux compris.")
    site.enter(page.get_by_role("button", name="Publish the answer"))
    expect(page.locator("#answer")).to_contain_text("Accepted")
    expect(page.locator("#answer")).to_contain_text("les travaux sont inscrits au programme 2027")

    # The page tells the whole story, dated.
    history = page.get_by_role("region", name="History")
    for event in ("Proposal published", "Support threshold reached: an official answer is owed",
                  "Amendment proposed", "Amendment accepted: the text changed", "Accepted, with an official answer"):
        expect(history).to_contain_text(event)
    expect(history.locator("time")).to_have_count(5)

    # The supporter who asked for it is mailed the answer.
    mail = wait_for_mails(live, supporter, 1)[-1]
    assert "les travaux sont inscrits au programme 2027" in mail.body
    assert f"/proposals/{proposal.id}" in mail.body

    # --- the same page in French.
    switch_language(site, "fr")
    expect(page.get_by_role("heading", name="Historique")).to_be_visible()
    expect(page.get_by_role("heading", name="Réponse officielle")).to_be_visible()
    expect(page.get_by_role("region", name="Historique")).to_contain_text("Amendement accepté")
