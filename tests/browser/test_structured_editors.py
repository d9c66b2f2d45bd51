"""The structured editors in the browser, with the keyboard only: an official
lists a consultation's documents as rows (title + address), adds rows and
removes one — in the page with JavaScript, through the server without, the
text typed kept either way — saves, and sees the documents linked, in order;
the same for a process's phases and a debate's sources. Every page passes axe-core, stays light and calls no other site."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _press(site, button) -> None:
    """Tab to ``button`` and press Enter: a new page without JavaScript, none with it."""
    if site.js:
        site.tab_to(button, limit=200)  # every date input takes a Tab per part
        site.page.keyboard.press("Enter")
    else:
        site.enter(button, limit=200)


def _type_row(site, n: int, title: str, url: str) -> None:
    row = site.page.get_by_role("group", name=f"Document {n}", exact=True)
    site.tab_to(row.get_by_label("Title of the document"))
    site.page.keyboard.type(title)
    site.tab_to(row.get_by_label("Address"))
    site.page.keyboard.type(url)


def test_an_official_adds_and_removes_document_rows_with_the_keyboard(site, make_user):
    from civic.core.time import today

    page = site.page
    official = make_user(name="Jean Élu", roles=("official",))
    log_in(site, official)
    site.visit("/consultations/new")
    site.tab_to(page.get_by_label("Title", exact=True))
    page.keyboard.type("Horaires des piscines")
    _type_row(site, 1, "Étude de fréquentation", "https://example.org/etude.pdf")
    _press(site, page.get_by_role("button", name="Add a document"))
    if site.js:
        expect(page.get_by_role("group", name="Document 2", exact=True).get_by_label("Title of the document")
               ).to_be_focused()
    _type_row(site, 2, "Brouillon à retirer", "https://example.org/brouillon.pdf")
    _press(site, page.get_by_role("button", name="Add a document"))
    _type_row(site, 3, "Plan des bassins", "https://example.org/plan.pdf")
    _press(site, page.get_by_role("button", name="Remove document 2"))

    # The third row took the second place; what was typed everywhere is kept.
    expect(page.get_by_role("group", name="Document 3", exact=True)).to_have_count(0)
    second = page.get_by_role("group", name="Document 2", exact=True)
    expect(second.get_by_label("Title of the document")).to_have_value("Plan des bassins")
    expect(page.get_by_role("group", name="Document 1", exact=True).get_by_label("Address")).to_have_value(
        "https://example.org/etude.pdf")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Horaires des piscines")
    if site.js:
        site.check()  # axe on the rows the script added and renumbered

    day = today()
    page.get_by_label("Opens on").fill(day.isoformat())
    page.get_by_label("Closes at the end of").fill((day + timedelta(days=10)).isoformat())
    page.get_by_label("Results and official follow-up published by").fill((day + timedelta(days=30)).isoformat())
    site.enter(page.get_by_role("button", name="Save the draft"))
    expect(page.get_by_role("status").first).to_contain_text("The consultation is saved as a draft.")
    consultation_id = int(re.search(r"/consultations/(\d+)", page.url).group(1))

    site.visit(f"/consultations/{consultation_id}")
    links = page.get_by_role("main").get_by_role("listitem").get_by_role("link")
    expect(links.filter(has_text=re.compile("Étude|Plan|Brouillon"))).to_have_text(
        ["Étude de fréquentation", "Plan des bassins"])
    expect(page.get_by_role("link", name="Plan des bassins")).to_have_attribute("href", "https://example.org/plan.pdf")


def test_an_admin_removes_and_adds_phase_rows_with_the_keyboard(site, make_user):
    page, live = site.page, site.live
    admin = make_user(name="Anne Admin", roles=("admin",))

    def build():
        from civic.accounts.services import find_user_by_email
        from civic.extensions import db
        from civic.processes import services

        p = services.create_process(find_user_by_email(admin), services.ProcessData(
            title="Plan vélo 2027", summary="Proposez vos idées."))
        db.session.commit()
        return p.id
    process_id = live.query(build)

    log_in(site, admin)
    site.visit(f"/processes/{process_id}/phases")
    rows = page.locator("[data-row-list] > fieldset")
    expect(rows).to_have_count(6)
    _press(site, page.get_by_role("button", name="Remove phase 6"))
    expect(rows).to_have_count(5)
    _press(site, page.get_by_role("button", name="Add a phase"))
    expect(rows).to_have_count(6)
    sixth = page.get_by_role("group", name="Phase 6", exact=True)
    if site.js:
        expect(sixth.get_by_label("Kind of phase")).to_be_focused()
        site.check()  # axe on the row the script added
    sixth.get_by_label("Kind of phase").select_option(label="Results")
    sixth.get_by_label("Starts on").fill("2031-01-01")
    first = page.get_by_role("group", name="Phase 1", exact=True)
    first.get_by_label("Kind of phase").select_option(label="Proposals")
    first.get_by_label("Starts on").fill("2030-01-01")
    first.get_by_label("Submit proposals").check()
    site.enter(page.get_by_role("button", name="Save the phases"), limit=200)
    expect(page.get_by_role("status").first).to_contain_text("The phases are saved.")
    site.visit(f"/processes/{process_id}/phases")
    expect(page.get_by_role("group", name="Phase 2", exact=True).get_by_label("Kind of phase")).to_have_value("results")
    expect(page.get_by_role("group", name="Phase 2", exact=True).get_by_label("Starts on")).to_have_value("2031-01-01")


def test_an_official_opens_a_debate_with_two_sources_typed_in_rows(site, make_user):
    page = site.page
    official = make_user(name="Jean Élu", roles=("official",))
    log_in(site, official)
    site.visit("/debates/new")
    site.tab_to(page.get_by_label("Question put to debate"))
    page.keyboard.type("Faut-il fermer la rue aux voitures le dimanche ?")
    site.tab_to(page.get_by_label("Framing"))
    page.keyboard.type("Les commerces et les riverains sont partagés.")
    for n, (title, url) in enumerate((("Plan de circulation", "https://example.org/plan.pdf"),
                                      ("Comptages 2025", "https://example.org/comptages.csv")), start=1):
        if n > 1:
            _press(site, page.get_by_role("button", name="Add a source"))
        row = page.get_by_role("group", name=f"Source {n}", exact=True)
        site.tab_to(row.get_by_label("Title"))
        page.keyboard.type(title)
        site.tab_to(row.get_by_label("Link"))
        page.keyboard.type(url)
    site.enter(page.get_by_role("button", name="Open the debate"))
    expect(page.get_by_role("status").first).to_contain_text("The debate is open.")
    expect(page.get_by_role("link", name="Plan de circulation")).to_have_attribute("href", "https://example.org/plan.pdf")
    expect(page.get_by_role("link", name="Comptages 2025")).to_have_attribute("href", "https://example.org/comptages.csv")
