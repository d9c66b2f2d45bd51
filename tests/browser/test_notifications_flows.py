"""A resident follows a proposal, an official answers it, and the resident
finds it in the inbox (« Notifications (1) » in the header), marks it read
and changes a preference, JavaScript on and off; every page passes the
checks of tests/browser (axe, weight, requests)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_follower_sees_the_official_answer_in_the_inbox(site, make_user):
    page, live = site.page, site.live
    me = make_user(name="Léa M.")
    title = f"Des arceaux vélo devant l’école ({'JS' if site.js else 'HTML'})"

    def build():
        from tests.processes import factories

        return factories.proposal(factories.process(), title=title).id
    proposal_id = live.query(build)
    log_in(site, me)

    site.visit(f"/proposals/{proposal_id}")
    follow = page.get_by_role("button", name="Follow: email me when there is news")
    follow.focus()
    site.press("Enter")
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()

    def answer():
        from civic.extensions import db
        from civic.processes import services
        from civic.processes.models import Proposal
        from tests import factories

        services.answer_proposal(factories.user(roles=["official"]), db.session.get(Proposal, proposal_id),
                                 "accepted", "La Ville retient la proposition : pose au printemps.")
        db.session.commit()
    live.query(answer)
    live.drain_jobs()

    site.visit("/")
    inbox = page.get_by_role("link", name="Notifications (1)")
    expect(inbox).to_be_visible()
    inbox.focus()
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_role("main")).to_contain_text("An official answer was published")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.get_by_role("button", name="Mark all as read").focus()
    site.press("Enter")
    expect(page.get_by_role("main")).to_contain_text("Nothing unread.")

    site.visit("/notifications/preferences")
    page.get_by_label("By email").first.select_option("weekly")
    page.get_by_role("button", name="Save my preferences").focus()
    site.press("Enter")
    expect(page.get_by_role("status").or_(page.locator(".flash, .notice")).first).to_contain_text(
        "Your notification preferences are saved.")

    site.visit("/following")
    expect(page.get_by_role("link", name=title)).to_be_visible()
