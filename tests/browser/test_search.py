"""A visitor types a query in the header's search box with the keyboard,
JavaScript on and off, narrows the results to one kind and opens one; every
page passes axe-core, stays light and calls no other site."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_visitor_searches_from_the_header_and_opens_a_result(site, make_user):
    page, live = site.page, site.live
    # The live server lives for the session: a word of its own for this run (JS on / off).
    word = "Zinnias" if site.js else "Capucines"
    official = make_user(name="Élue É.", roles=("official",))

    def build():
        from civic.accounts.services import find_user_by_email
        from tests.deliberation import factories as df
        from tests.petitions import factories as pf

        petition = pf.petition(title=f"Des {word.lower()} sur les ronds-points",
                               background="Fleurir les carrefours du quartier.")
        df.debate(find_user_by_email(official), f"Quelles fleurs : {word.lower()} ou tulipes ?",
                  "Le service des espaces verts prépare les plantations du printemps.")
        return petition.id

    petition_id = live.query(build)
    site.visit("/")
    box = page.get_by_role("search").get_by_label("Search the site")
    site.tab_to(box)
    # Typed without accents nor capitals: the search ignores both.
    page.keyboard.type(word.lower())
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.get_by_role("status")).to_have_text(f"2 results for “{word.lower()}”.")
    kinds = page.get_by_role("navigation", name="Kinds of results")
    expect(kinds.get_by_role("link", name="Petition (1)")).to_be_visible()
    site.enter(kinds.get_by_role("link", name="Petition (1)"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Petition (1)")
    result = page.get_by_role("main").get_by_role("link", name=f"Des {word.lower()} sur les ronds-points")
    site.enter(result)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Des {word.lower()} sur les ronds-points")
    assert page.url.endswith(f"/petitions/{petition_id}")
