"""An admin brands the site and publishes its pages and accessibility
statement in the browser, by label; every page visited passes axe, stays
light, and the brand shows on the home page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_foundation_pages import _log_in

pytestmark = pytest.mark.browser

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48" fill="#8a1538"/>'
        '<path d="M8 40 H40 V36 H8 Z" fill="#fff"/></svg>')


def _forget_the_site():
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.site.models import AccessibilityStatement, PageVersion, SiteIdentity

    for model in (AccessibilityStatement, PageVersion, SiteIdentity):
        db.session.execute(sa.delete(model))
    db.session.commit()


@pytest.fixture
def unbranded(site):
    """The live server is shared by the session: start unbranded and leave
    it so, for the tests that follow."""
    site.live.query(_forget_the_site)
    yield
    site.live.query(_forget_the_site)


def test_an_admin_brands_the_site_and_fills_the_statement(site, make_user, tmp_path, unbranded):
    page = site.page
    _log_in(site, make_user(name="Admin A.", roles=("admin",)))
    site.visit("/admin/")
    site.navigate(lambda: page.get_by_role("link", name="Site identity").click())
    page.get_by_label("Site name").fill("Toulouse participe")
    page.get_by_label("Territory").fill("Ville de Toulouse")
    logo = tmp_path / "logo.svg"
    logo.write_text(LOGO)
    page.get_by_label("Logo (optional)", exact=True).set_input_files(str(logo))
    page.get_by_label("Text alternative of the logo").fill("Emblème du Capitole")
    page.get_by_label("Accent colour").fill("#f0a0b0")
    page.get_by_label("Label of link 1").fill("Site de la ville")
    page.get_by_label("Address of link 1").fill("https://www.toulouse.fr")
    site.navigate(lambda: page.get_by_role("button", name="Save the identity").click(), expect_status=422)
    expect(page.get_by_label("Accent colour")).to_have_accessible_description(re.compile(r"4\.5:1"))
    page.get_by_label("Logo (optional)", exact=True).set_input_files(str(logo))
    page.get_by_label("Accent colour").fill("#8a1538")
    site.navigate(lambda: page.get_by_role("button", name="Save the identity").click())
    expect(page.get_by_role("status")).to_contain_text("The site's identity is saved.")
    expect(page.get_by_role("link", name="Emblème du Capitole Toulouse participe")).to_be_visible()
    expect(page.get_by_role("contentinfo").get_by_role("link", name="Site de la ville")).to_be_visible()

    site.visit("/admin/pages/legal-notice")
    page.get_by_label("Text").fill("## Éditeur\n\nMairie de Toulouse, place du Capitole.")
    site.navigate(lambda: page.get_by_role("button", name="Publish this version").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("History: Legal notice")

    site.visit("/accessibility")
    expect(page.get_by_role("main")).to_contain_text("has not been published yet")
    site.visit("/admin/accessibility")
    page.get_by_label("Name of the public body").fill("Mairie de Toulouse")
    page.get_by_label("Conformance status").select_option("partial")
    page.get_by_label("Rate of RGAA criteria met (%)").fill("78.5")
    page.get_by_label("Date of the audit").fill("2026-10-12")
    page.get_by_label("Audit carried out by").fill("Cabinet Exemple")
    page.get_by_label("Pages audited").fill("Accueil\nPétitions")
    page.get_by_label("Contact email").fill("a11y@example.org")
    page.get_by_label("Statement established or updated on").fill("2026-11-02")
    site.navigate(lambda: page.get_by_role("button", name="Publish the statement").click())
    expect(page.get_by_role("heading", level=2, name="Remedies")).to_be_visible()
    expect(page.get_by_role("contentinfo").get_by_role("link", name="Accessibility: partially compliant")).to_be_visible()
    site.navigate(lambda: page.get_by_role("contentinfo").get_by_role("link", name="Legal notice").click())
    expect(page.get_by_role("heading", level=2, name="Éditeur")).to_be_visible()
