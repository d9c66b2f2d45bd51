"""A request to the council (CGCT L1112-16) in the browser: past its threshold
it is transmitted to the mayor; an official of the mayor's office records
the acknowledgment of receipt from the keyboard, and the dated steps, with
the due session of the council, are public on the request's page and on the
accountability page. JavaScript on and off; every page passes axe-core."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, skip_to_main

pytestmark = pytest.mark.browser

AUTHORITY = "le conseil municipal de Toulouse"


def _log_in(site, address: str, next_path: str) -> None:
    page = site.page
    site.visit(f"/account/login?next={next_path}")
    site.tab_to(page.locator("#email"))
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    site.press("Enter")
    assert page.url == site.live.url(next_path)


def test_an_official_acknowledges_a_request_to_the_council_and_the_steps_are_public(site, make_user):
    page, live = site.page, site.live
    official = make_user(name="Jean Élu", roles=("official",))
    tag = uuid.uuid4().hex[:6]
    title = f"Gratuité des transports pour les moins de 26 ans ({'JS' if site.js else 'HTML'} {tag})"

    def build():
        from civic.core.time import local_day, utcnow
        from civic.extensions import db
        from civic.petitions.models import AuthorityType, CouncilSession, LegalKind
        from civic.petitions.tally import tally_signatures
        from tests.petitions import factories

        p = factories.petition("open", title=title, legal_kind=LegalKind.DELIBERATION, authority=AUTHORITY,
                               authority_type=AuthorityType.COMMUNE, threshold_from_roll=True,
                               response_threshold=2, debate_threshold=None)
        factories.signatures(p, 2)
        tally_signatures()
        db.session.add(CouncilSession(held_on=local_day(utcnow()) + timedelta(days=30),
                                      title=f"Conseil municipal {tag}", authority=AUTHORITY))
        db.session.commit()
        return p.id, local_day(utcnow()).isoformat()

    petition_id, today = live.query(build)
    try:
        _log_in(site, official, f"/petitions/{petition_id}")
        steps = page.get_by_role("region", name="Request to the council (art. L1112-16)")
        expect(steps).to_contain_text("Transmitted to the mayor")
        skip_to_main(site)
        site.enter(page.get_by_role("link", name="Record the law's steps (receipt, council informed, decision)"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("The law's steps")
        site.tab_to(page.get_by_label("Date of receipt"))
        page.get_by_label("Date of receipt").fill(today)
        site.enter(page.get_by_role("button", name="Record the acknowledgment of receipt"))
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_role("status").first).to_contain_text("Step recorded")
        timeline = page.locator("ol.legal-steps")
        expect(timeline).to_contain_text("Acknowledgment of receipt")
        expect(timeline).to_contain_text(f"Due at the first session after receipt: Conseil municipal {tag}")
        site.visit("/accountability")
        row = page.get_by_role("row").filter(has_text=title)
        expect(row).to_contain_text("Acknowledgment of receipt")
        expect(row).to_contain_text("Pending")
    finally:
        def close():
            from civic.core.time import utcnow
            from civic.extensions import db
            from civic.petitions.models import CouncilSession, Petition, PetitionState

            p = db.session.get(Petition, petition_id)
            p.state, p.closed_at = PetitionState.CLOSED, utcnow()
            # The live database lasts the session: the calendar must not give the next run its due session.
            db.session.query(CouncilSession).filter(CouncilSession.title == f"Conseil municipal {tag}").delete()
            db.session.commit()
        live.query(close)
