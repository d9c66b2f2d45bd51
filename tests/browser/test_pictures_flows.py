"""Pictures in the browser: lists with more pictured cards than a page may
load still stay under 10 requests and 60 KB (pictures on the first cards
only), every picture shown loads, has its alt text and size, and the pages
pass axe. JavaScript on and off."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CARDS = 7


def _pictured_lists(live, admin: str, authors: list[str], run: str) -> dict:
    """A process with CARDS pictured proposals and a budget edition with
    CARDS pictured projects, made through the services."""
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.core import pictures
        from civic.extensions import db
        from tests.budgets import factories as budget_factories
        from tests.helpers import photo_bytes
        from tests.processes import factories

        user = find_user_by_email(admin)
        process = factories.process(user, title=f"Plan arbres ({run})")
        pictures.demo_picture(user, "process", process.id, "tree", "Dessin de trois arbres")
        edition = budget_factories.edition(user, phase=None, envelopes=[(None, 500_000)])
        for i in range(CARDS):
            author = find_user_by_email(authors[i % len(authors)])  # at most 5 proposals a day each
            p = factories.proposal(process, author, title=f"Planter des arbres rue numéro {i} ({run})")
            pictures.demo_picture(user, "proposal", p.id, pictures.MOTIFS[i % len(pictures.MOTIFS)],
                                  f"Dessin de la proposition {i}")
            project = budget_factories.project(edition, edition.envelopes[0], f"Projet numéro {i}", 10_000)
            pictures.apply(pictures.PictureInput(pending=pictures.make(user, photo_bytes((1600, 1200))),
                                                 alt=f"Photo du projet {i}"), "project", project.id)
        db.session.commit()
        return {"process": process.id, "edition": edition.id}
    return live.query(build)


def _loaded_pictures(page) -> list:
    return page.eval_on_selector_all(
        "main img", "els => els.map(e => [e.alt, e.naturalWidth, e.getAttribute('width'), e.loading])")


def test_lists_of_pictured_cards_stay_light(site, make_user):
    page = site.page
    run = uuid.uuid4().hex[:4]
    admin = make_user(name="Anne Admin", roles=("admin",))
    authors = [make_user(name=f"Auteur {n}") for n in range(2)]
    ids = _pictured_lists(site.live, admin, authors, run)
    for url in (f"/processes/{ids['process']}/proposals", f"/processes/{ids['process']}",
                f"/budgets/{ids['edition']}/projects"):
        site.visit(url)  # checked: axe, under 60 KB and 10 requests, nothing off-site
        imgs = page.locator("main img")
        expect(imgs.first).to_be_visible()
        page.wait_for_function("[...document.querySelectorAll('main img')].every(i => i.complete)")
        shown = _loaded_pictures(page)
        cards = [s for s in shown if s[0] != "Dessin de trois arbres"]  # the process's own picture
        assert len(cards) == 4, shown
        for alt, natural, width, loading in shown:
            assert alt and natural > 0 and int(width) <= 480 and loading == "lazy"
