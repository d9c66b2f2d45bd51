"""A resident follows and joins a debate with the keyboard, JavaScript on and
off, in English then French; every page passes axe-core, stays light and
calls no other site (the checks of tests/browser)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _debate_with_an_argument(live, official_email, other_email, title="Faut-il piétonniser la rue le week-end ?") -> int:
    def build():
        from civic.accounts.services import find_user_by_email
        from tests.deliberation import factories

        debate = factories.debate(find_user_by_email(official_email), title,
                                  "La mairie envisage un **essai de six mois**.",
                                  sources="Plan de circulation | https://example.org/plan.pdf")
        factories.comment(find_user_by_email(other_email), debate,
                          "Contre tant que l'accès des taxis n'est pas réglé.", "against")
        return debate.id
    return live.query(build)


def test_a_resident_joins_a_debate_with_the_keyboard(site, make_user):  # noqa: F811
    page, live = site.page, site.live
    official = make_user(name="Jean Élu", roles=("official",))
    other = make_user(name="Bernard L.")
    me = make_user(name="Léa M.")
    # The live server lives for the session: a title of its own for this run (JS on / off).
    title = f"Faut-il piétonniser la rue le week-end ? ({'JS' if site.js else 'HTML'})"
    debate_id = _debate_with_an_argument(live, official, other, title)
    log_in(site, me)

    site.visit("/debates/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Debates")
    page.get_by_role("link", name=title).focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="Where the debate stands")).to_be_visible()

    # Follow the debate (the core's follow panel on the page).
    follow = page.get_by_role("button", name="Follow: email me when there is news")
    follow.focus()
    site.press("Enter")

    # Take a side and argue, with the keyboard only.
    site.tab_to(page.get_by_label("For", exact=True))
    page.keyboard.press("Space")
    site.tab_to(page.get_by_label("Your comment"))
    page.keyboard.type("Pour, avec un essai de trois mois et un bilan chiffré.")
    site.tab_to(page.get_by_role("button", name="Publish my comment"))
    site.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your comment is published.")
    expect(page.get_by_role("main")).to_contain_text("Pour, avec un essai de trois mois et un bilan chiffré.")

    # Rate the other side's argument: with JavaScript the count updates in place.
    other_comment = page.get_by_role("article", name="Bernard L.")
    useful = other_comment.get_by_role("button", name="Useful", exact=True)
    useful.focus()
    if site.js:
        page.keyboard.press("Enter")
        expect(other_comment).to_contain_text("1 person found this useful")
        expect(useful).to_have_attribute("aria-pressed", "true")
    else:
        site.press("Enter")
        expect(page.get_by_role("article", name="Bernard L.")).to_contain_text("1 person found this useful")

    page.get_by_role("link", name="How is this sorted?").first.focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("How are comments sorted?")

    # The same debate in French.
    page.get_by_role("link", name="Français").focus()
    site.press("Enter")
    site.visit(f"/debates/{debate_id}")
    expect(page.get_by_role("heading", name="Où en est le débat")).to_be_visible()
    expect(page.get_by_role("heading", name="Commentaires")).to_be_visible()
    expect(page.get_by_role("button", name="Publier mon commentaire")).to_be_visible()


def test_an_invalid_comment_is_explained_with_javascript_on_and_off(site, make_user):  # noqa: F811
    page, live = site.page, site.live
    official = make_user(name="Jean Élu", roles=("official",))
    other = make_user(name="Inès G.")
    me = make_user(name="Karim B.")
    debate_id = _debate_with_an_argument(live, official, other)
    log_in(site, me)
    site.visit(f"/debates/{debate_id}")
    page.get_by_label("Your comment").fill("Sans position")
    page.get_by_role("button", name="Publish my comment").focus()
    site.press("Enter", expect_status=422)
    expect(page.get_by_role("alert")).to_contain_text("Say whether you are for, against, or neutral.")
    expect(page.get_by_label("Your comment")).to_have_value("Sans position")
