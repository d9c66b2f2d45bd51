"""The back office in the browser, by keyboard, with JavaScript on and off:
a city-wide official reaches it from the header's one staff link, finds the
late answer first, filters the spaces to the drafts of one kind and opens a
draft's preview; the page (charts included) passes axe and the weight checks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _spaces(live, official: str, title: str) -> None:
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.consultations import services as consultations
        from civic.core.time import today
        from civic.extensions import db
        from tests import factories
        from tests.assemblies import factories as assemblies

        elu = find_user_by_email(official)
        day = today()
        consultations.create_consultation(elu, title=title, context="Pourquoi",
                                          opens_on=day, closes_on=day + _days(10), results_due_on=day + _days(30))
        admin = factories.user(roles=["admin"])
        sitting = assemblies.assembly(admin, state="sitting", title="Convention sur l'eau")
        assemblies.recommendation(sitting, admin, days_ago=120, title="Des fontaines partout")
        db.session.commit()
    live.query(build)


def _days(n):
    from datetime import timedelta

    return timedelta(days=n)


def test_an_official_runs_the_city_from_the_back_office(site, make_user):
    page = site.page
    official = make_user(name="Jean Élu", roles=("official",))
    # The live server's database is shared by the js and nojs runs: a title of this run's own.
    title = f"Consultation en préparation {official.split('@')[0]}"
    _spaces(site.live, official, title)
    log_in(site, official)
    site.enter(page.get_by_role("navigation", name="Your account").get_by_role("link", name="Administration"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")

    attention = page.get_by_role("region", name="Needs attention now")
    first = attention.get_by_role("row").nth(1)
    expect(first).to_contain_text("Official answer due")
    expect(first).to_contain_text("Des fontaines partout")
    expect(first).to_contain_text("days late")

    # Filter the spaces to the consultations, by keyboard.
    site.tab_to(page.get_by_label("Kind"), limit=120)
    page.get_by_label("Kind").select_option(label="Consultation")
    site.enter(page.get_by_role("button", name="Filter"), limit=20)
    spaces = page.get_by_role("region", name="Spaces")
    expect(spaces.get_by_role("row").nth(1)).to_contain_text("Consultation")
    expect(spaces.get_by_role("row").filter(has_text="Participatory")).to_have_count(0)
    site.enter(spaces.get_by_role("link", name=f"Preview of “{title}”"), limit=60)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    # The create links are there, the figures are drawn and tabulated.
    site.visit("/admin/")
    expect(page.get_by_role("region", name="Create").get_by_role("link", name="New consultation")).to_be_visible()
    site.enter(page.get_by_role("link", name=re.compile("Participation over the last twelve months")), limit=120)
    expect(page.get_by_role("heading", level=1)).to_have_text("Figures")
    expect(page.get_by_role("img", name="Petition signatures by month")).to_be_visible()
    expect(page.get_by_role("table", name="Petition signatures by month").get_by_role("row")).to_have_count(13)
