"""The draw of a citizens' assembly in the browser, in French, with the
keyboard only: an invited person registers their interest with the code of
their letter and answers the feature form (a sensitive question with its own
consent); the admin adjusts a quota, publishes the seed's commitment and runs
the draw; the public report shows the figures, the chart and the seed.
JavaScript on and off; every page passes axe-core, stays light and calls no
other site (the checks of tests/browser)."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out, switch_language

pytestmark = pytest.mark.browser

CATEGORIES = """category,feature,min,max
Genre,Femme,2,2
Genre,Homme,2,2
Âge,18-39,1,3
Âge,40+,1,3
"""
RESPONDENTS = "first_name,Genre,Âge\n" + "".join(
    f"Voisin{i},{g},{a}\n" for i, (g, a) in enumerate(
        [("Femme", "18-39"), ("Femme", "40+"), ("Femme", "40+"), ("Homme", "18-39"), ("Homme", "18-39"),
         ("Homme", "40+"), ("Homme", "40+"), ("Femme", "18-39")]))
ADDRESSES = "nom,adresse,code_postal,ville\n" + "".join(
    f"Foyer {i},{i} rue de la Pomme,31000,Toulouse\n" for i in range(1, 31))


def _selection(live, admin: str, title: str) -> SimpleNamespace:
    """A public assembly whose selection is open: quotas, 5 letters, 8 imported volunteers."""
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.assemblies import draw_services
        from civic.assemblies.models import Assembly, AssemblyState
        from civic.core.time import utcnow
        from civic.extensions import db

        actor = find_user_by_email(admin)
        a = Assembly(title=title, summary="Comment partager l'eau entre usages ?", mandate="", mandate_html="",
                     size=4, state=AssemblyState.SELECTING, published_at=utcnow())
        db.session.add(a)
        db.session.flush()
        sel = draw_services.open_selection(actor, a)
        draw_services.import_categories(actor, sel, CATEGORIES)
        draw_services.update_quotas(actor, sel, {}, ["Âge"], "maximin")
        draw_services.draw_invitations(actor, sel, ADDRESSES, 5, "loto-28-11-2026")
        draw_services.import_respondents(actor, sel, RESPONDENTS)
        db.session.commit()
        quota = next(q for q in sel.quotas if q.value == "40+")
        return SimpleNamespace(id=a.id, title=title, code=draw_services.reply_code(sel, 0), quota_id=quota.id)
    return live.query(build)


def _selection_row(live, assembly_id: int):
    from civic.assemblies.models import Selection, Volunteer
    from civic.extensions import db

    def read():
        sel = db.session.scalar(sa.select(Selection).where(Selection.assembly_id == assembly_id))
        vols = db.session.scalars(sa.select(Volunteer).where(Volunteer.selection_id == sel.id)).all()
        return SimpleNamespace(state=sel.state.value, seed=sel.seed, commitment=sel.seed_commitment,
                               report=sel.report, quota_max=[q.max for q in sel.quotas if q.value == "40+"][0],
                               volunteers=[(v.first_name, v.features, v.status.value) for v in vols])
    return live.query(read)


def test_an_invited_person_volunteers_and_the_admin_runs_a_verifiable_draw(site, make_user):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    admin = make_user(name="Anne Admin", locale="fr", roles=("admin",))
    s = _selection(live, admin, f"Convention citoyenne sur l'eau ({run})")

    # The invited person, not logged in, in French.
    site.visit(f"/assemblies/{s.id}/reply")
    if page.locator("html").get_attribute("lang") != "fr":
        switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Participer : {s.title}")
    site.tab_to(page.get_by_label("Code imprimé sur la lettre"))
    page.keyboard.type(s.code.lower())
    site.tab_to(page.get_by_label("Prénom"))
    page.keyboard.type("Inès")
    site.tab_to(page.get_by_label("Adresse e-mail"))
    page.keyboard.type("ines@example.org")
    gender = page.get_by_role("group", name="Genre")
    site.tab_to(gender.get_by_role("radio", name="Femme"))
    page.keyboard.press("Space")
    expect(gender.get_by_role("radio", name="Femme")).to_be_checked()
    age = page.get_by_role("group", name="Âge")
    site.tab_to(age.get_by_role("radio", name="18-39"))
    page.keyboard.press("Space")
    site.tab_to(page.get_by_label("J’accepte que mes réponses servent au tirage de cette assemblée"))
    page.keyboard.press("Space")
    # The sensitive question's own consent is missing: refused next to it, the input kept.
    site.enter(page.get_by_role("button", name="Je me porte volontaire"), expect_status=422)
    expect(page.get_by_role("alert")).to_contain_text("n’est utilisée qu’avec votre consentement")
    expect(page.get_by_label("Prénom")).to_have_value("Inès")
    site.tab_to(page.get_by_label("J’accepte que ma réponse à « Âge » serve au tirage"))
    page.keyboard.press("Space")
    site.enter(page.get_by_role("button", name="Je me porte volontaire"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci : votre candidature est enregistrée")
    row = _selection_row(live, s.id)
    assert ("Inès", {"Genre": "Femme", "Âge": "18-39"}, "pool") in row.volunteers

    # The admin adjusts a quota, commits to a seed and draws.
    log_in(site, admin)
    site.visit(f"/assemblies/{s.id}/selection/manage")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sélection : {s.title}")
    site.tab_to(page.get_by_label("Max pour Âge / 40+"), limit=120)
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    site.enter(page.get_by_role("button", name="Enregistrer les quotas"), limit=40)
    expect(page.get_by_role("status")).to_contain_text("Les quotas sont enregistrés.")
    assert _selection_row(live, s.id).quota_max == 2
    site.enter(page.get_by_role("button", name="Publier l’engagement de la graine"), limit=150)
    expect(page.get_by_role("status")).to_contain_text("L’engagement de la graine est publié")
    committed = _selection_row(live, s.id)
    assert committed.state == "committed"

    # Before the draw the report shows the commitment, not the seed.
    site.visit(f"/assemblies/{s.id}/selection")
    expect(page.locator("main")).to_contain_text(committed.commitment)
    expect(page.locator("main")).not_to_contain_text(committed.seed)

    site.visit(f"/assemblies/{s.id}/selection/manage")
    site.enter(page.get_by_role("button", name="Lancer le tirage"), limit=150)
    # A worker runs the draw (inline without Redis: done before the page comes back).
    expect(page.get_by_role("status")).to_contain_text(
        re.compile("Le panel est tiré et la graine révélée|Le tirage est lancé"))
    live.drain_jobs()
    site.visit(f"/assemblies/{s.id}/selection/manage")
    expect(page.locator("main")).to_contain_text("Graine")
    drawn = _selection_row(live, s.id)
    assert drawn.state == "drawn" and len(drawn.report["panel"]) == 4
    log_out(site)

    # The public report, anonymously: figures, chart, seed, no names.
    site.visit(f"/assemblies/{s.id}/selection")
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Comment les membres sont tirés au sort : {s.title}")
    expect(page.get_by_role("img", name="Part de chaque caractéristique dans le vivier et dans le panel")).to_be_visible()
    table = page.get_by_role("table", name="Quotas et parts par caractéristique")
    women = next(f for f in drawn.report["features"] if f["value"] == "Femme")
    expect(table.get_by_role("row").filter(has_text="Femme")).to_contain_text(f"{women['pool']} (")
    expect(page.get_by_role("table", name="Probabilités de sélection des volontaires")).to_contain_text(
        "Tirage glouton historique, sur le même vivier")
    expect(main).to_contain_text("Volontaires dans le vivier : 9.")
    expect(main).to_contain_text(drawn.seed)
    expect(main).to_contain_text(f"--size 4 --algorithm maximin --seed {drawn.seed}")
    expect(main).not_to_contain_text("Inès")
    expect(main).not_to_contain_text("Voisin")
