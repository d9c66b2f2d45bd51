"""A citizens' assembly in the browser, in French: an official of the
assembly's district opens a recommendation the members adopted, answers it
with the keyboard only, and the recommendation page and the accountability
page show the answer given on time. JavaScript on and off; every page passes
axe-core, stays light and calls no other site (``site.check``)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _recommendation(live, admin: str, code: str, run: str) -> tuple[int, str]:
    """An assembly of the district, sitting, with a recommendation adopted 30
    days ago (its answer is due 60 days from now)."""
    def build():
        import sqlalchemy as sa

        from civic.accounts.models import District
        from civic.accounts.services import find_user_by_email
        from civic.extensions import db
        from tests.assemblies import factories as af

        actor = find_user_by_email(admin)
        district = db.session.scalar(sa.select(District).where(District.code == code))
        assembly = af.assembly(actor, district=district, members=3, answer_delay_days=90,
                               title=f"Convention citoyenne sur l'eau ({run})")
        rec = af.recommendation(assembly, actor, days_ago=30, votes=(24, 3, 2),
                                title=f"Des fontaines dans chaque quartier ({run})")
        return rec.id, rec.title
    return live.query(build)


def test_an_official_answers_a_recommendation_and_accountability_shows_it_on_time(site, make_user, make_district):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    admin = make_user(name="Anne Admin", roles=("admin",))
    code = make_district("Minimes")
    official = make_user(name="Jean Élu", locale="fr", roles=(("official", _district(live, code)),))
    rec_id, title = _recommendation(live, admin, code, run)

    log_in(site, official)
    site.visit(f"/assemblies/recommendations/{rec_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Recommandation 1 : {title}")
    expect(page.get_by_role("table")).to_contain_text("24")
    expect(page.locator("#answer")).to_contain_text("La Ville doit répondre au plus tard le")
    site.enter(page.get_by_role("link", name="Répondre à cette recommandation ou suivre sa mise en œuvre (élus et services)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Répondre à la recommandation")

    # Too short an answer: the message comes next to the field, the text stays.
    decision = page.get_by_role("combobox", name="Décision")
    site.tab_to(decision)
    page.keyboard.type("Acceptée")
    expect(decision).to_have_value("accepted")
    answer = page.get_by_role("textbox", name="Réponse officielle, avec ses motifs")
    site.tab_to(answer)
    page.keyboard.type("Oui.")
    site.tab_to(page.get_by_role("button", name="Publier la réponse"))
    site.press("Enter", expect_status=422)
    expect(page.locator(".field-error")).to_contain_text("Donnez les raisons de la décision (20 caractères au moins)")
    expect(page.get_by_role("textbox", name="Réponse officielle, avec ses motifs")).to_have_value("Oui.")

    answer = page.get_by_role("textbox", name="Réponse officielle, avec ses motifs")
    answer.fill("")
    site.tab_to(page.get_by_role("combobox", name="Décision"))
    page.keyboard.type("Acceptée")
    site.tab_to(answer)
    page.keyboard.type("La Ville retient la recommandation : dix fontaines seront posées au printemps.")
    site.tab_to(page.get_by_role("button", name="Publier la réponse"))
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Recommandation 1 : {title}")
    expect(page.locator("#answer")).to_contain_text("Acceptée")
    expect(page.locator("#answer")).to_contain_text("dans les délais")
    expect(page.locator("#answer")).to_contain_text("dix fontaines seront posées au printemps")

    site.visit(f"/accountability?district={code}")
    row = page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))
    expect(row).to_contain_text("Recommandation d'assemblée citoyenne")
    expect(row).to_contain_text("Réponse dans les délais")

    # The assembly's own page, from the list linked in the menu.
    site.visit("/")
    site.enter(page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Assemblées"))
    site.enter(page.get_by_role("link", name=f"Convention citoyenne sur l'eau ({run})"))
    expect(page.locator("#recommendations")).to_contain_text(title)
    expect(page.locator("#recommendations")).to_contain_text("Acceptée")
    expect(page.locator("#members")).to_contain_text("3 membres en place sur 30.")


def test_an_admin_adds_a_session_from_the_management_page(site, make_user, make_district):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    admin = make_user(name="Anne Admin", locale="fr", roles=("admin",))
    code = make_district("Minimes")
    rec_id, _title = _recommendation(live, admin, code, run)
    log_in(site, admin)
    site.visit(f"/assemblies/recommendations/{rec_id}")
    site.enter(page.get_by_role("link", name=f"Convention citoyenne sur l'eau ({run})"))
    site.enter(page.get_by_role("link", name="Gérer l'assemblée"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Gérer l'assemblée")
    section = page.locator("#sitting")
    section.get_by_role("textbox", name="Titre de la séance").fill("Séance 1 : le mandat")
    section.get_by_label("Jour").fill("2026-03-02")
    section.get_by_label("Heure de début").fill("18:00")
    section.get_by_label("Heure de fin").fill("09:00")
    site.navigate(lambda: section.get_by_role("button", name="Ajouter la séance").click(), expect_status=422)
    expect(page.locator("#sitting-ends-error")).to_contain_text("Indiquez une fin après le début.")
    expect(page.locator("#sitting").get_by_role("textbox", name="Titre de la séance")).to_have_value(
        "Séance 1 : le mandat")
    page.locator("#sitting").get_by_label("Heure de fin").fill("21:00")
    site.navigate(lambda: page.locator("#sitting").get_by_role("button", name="Ajouter la séance").click())
    expect(page.locator("#sitting")).to_contain_text("1 séance")


def _district(live, code: str) -> int:
    def find():
        import sqlalchemy as sa

        from civic.accounts.models import District
        from civic.extensions import db

        return db.session.scalar(sa.select(District.id).where(District.code == code))
    return live.query(find)
