"""Open data in the browser, in French, JavaScript on and off: from the
footer to the catalogue, to a dataset's documentation page, and its CSV
downloaded with the keyboard, holding the petition just published. Every
page passes axe-core, stays light and calls no other site."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import switch_language

pytestmark = pytest.mark.browser


def _open_petition(live, title: str) -> None:
    def build():
        from tests.petitions import factories as pf

        pf.petition("open", title=title)
    live.query(build)


def test_from_the_footer_to_a_dataset_and_its_csv(site, tmp_path):
    page = site.page
    title = f"Des fontaines place du Capitole {uuid.uuid4().hex[:6]}"
    _open_petition(site.live, title)
    site.visit("/petitions/")
    switch_language(site, "fr")

    # The footer leads to the catalogue.
    footer_link = page.locator("footer").get_by_role("link", name="Données ouvertes", exact=True)
    expect(footer_link).to_have_attribute("href", "/open-data")
    site.enter(footer_link, limit=200)
    expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
    expect(page.get_by_text("Licence Ouverte")).to_be_visible()

    # The catalogue lists the petitions' dataset; its page documents the fields.
    site.enter(page.locator("#main").get_by_role("link", name="Pétitions", exact=True), limit=200)
    expect(page.get_by_role("heading", level=1)).to_have_text("Pétitions")
    expect(page.get_by_role("heading", name="Comment les chiffres sont calculés")).to_be_visible()
    expect(page.get_by_role("row", name="signature_count")).to_contain_text("nombre entier")

    # The CSV, downloaded with the keyboard, holds the petition.
    link = page.get_by_role("link", name="CSV (tableur, UTF-8)")
    site.tab_to(link, limit=200)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == "petitions.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert title in [r["title"] for r in rows]
    assert all(r["state"] in ("open", "closed") for r in rows)
