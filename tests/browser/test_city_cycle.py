"""A city runs a whole participation cycle from an empty install, in the browser.

The installation starts from nothing but ``flask db upgrade`` and
``civic create-admin`` (tests/browser/cityinstall.py): gunicorn serves it and,
on PostgreSQL with Redis (CI), the real worker and scheduler run beside it;
a shared test clock lets weeks pass. Everything else is done by role and
label in French, with JavaScript on and off, and axe-core checks every page
the test visits (``Site.check``): the admin sets the city up, officials open
spaces, residents register, confirm, get verified and take part, officials
answer and publish, a moderator and a mediator do their part, and the
accountability page tells who answered on time.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from civic.core.time import local_day, today  # noqa: F401 (dates typed in forms are local days)
from tests.browser import cityinstall
from tests.browser.conftest import Site, _free_port, switch_language

pytestmark = pytest.mark.browser

PASSWORD = "une phrase assez longue"


@pytest.fixture(params=[False, True], ids=["nojs", "js"])
def city(request, tmp_path, smtp_server, browser, axe_snapshot_page):
    install = cityinstall.start(tmp_path, smtp_server, _free_port())
    context = browser.new_context(java_script_enabled=request.param, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(30_000)
    if request.param:
        from tests.browser.conftest import AXE_SCRIPT

        context.add_init_script(script=AXE_SCRIPT)
    site = Site(context.new_page(), install, request.param, axe_snapshot_page, request.node.name)
    try:
        yield site
        install.check_alive()
    finally:
        context.close()
        cityinstall.stop(install)


# --- steps ----------------------------------------------------------------------

def log_in(site, address: str, password: str = PASSWORD) -> None:
    page = site.page
    site.visit("/account/login")
    page.get_by_label("Adresse e-mail").fill(address)
    page.get_by_label("Mot de passe").fill(password)
    site.navigate(lambda: page.get_by_role("button", name="Se connecter").click())
    if page.locator("html").get_attribute("lang") != "fr":  # the account's own language wins: switch it
        switch_language(site, "fr")
    expect(page.get_by_role("navigation", name="Votre compte").get_by_role("button", name="Se déconnecter")).to_be_visible()


def log_out(site) -> None:
    page = site.page
    site.navigate(lambda: page.get_by_role("navigation", name="Votre compte")
                  .get_by_role("button", name="Se déconnecter").click())


def click(site, locator, expect_status: int = 200):
    return site.navigate(locator.click, expect_status=expect_status)


def fill(page, values: dict) -> None:
    for label, value in values.items():
        field = page.get_by_label(label, exact=True)
        if field.count() == 0:  # a label that carries a hint ("… (facultatif)")
            field = page.get_by_label(label).first
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)


def register(site, name: str, address: str, district: str) -> None:
    """Create an account in French and confirm it from the mail received over SMTP."""
    page = site.page
    site.visit("/account/register")
    fill(page, {"Nom affiché": name, "Adresse e-mail": address, "Mot de passe": PASSWORD,
                "Votre quartier": district})
    click(site, page.get_by_role("button", name="Créer mon compte"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
    mail = site.live.wait_for_mail(address)
    assert mail.subject == "Confirmez votre adresse e-mail"
    page.goto(mail.link("/account/confirm/"))
    site.check()
    click(site, page.get_by_role("button", name="Confirmer mon adresse"))
    expect(page.get_by_role("status")).to_contain_text("Votre adresse e-mail est confirmée.")


def verify(site, last: str, first: str, born: str, postcode: str) -> None:
    page = site.page
    site.visit("/account/verify")
    fill(page, {"Nom": last, "Prénom(s)": first, "Date de naissance": born, "Code postal": postcode})
    click(site, page.get_by_role("button", name="Vérifier"))
    expect(page.get_by_role("status").first).to_contain_text("vérifi")


def grant(site, address: str, role: str) -> None:
    page = site.page
    site.visit("/admin/users")
    fill(page, {"Rechercher par e-mail ou par nom": address})
    page.get_by_label("Rechercher par e-mail ou par nom").press("Enter")
    page.wait_for_load_state("load")
    site.check()
    click(site, page.get_by_role("row").filter(has_text=address).get_by_role("link"))
    fill(page, {"Rôle": role, "Motif (conservé dans le journal des actions)": "Équipe participation"})
    click(site, page.get_by_role("button", name="Attribuer"))
    expect(page.get_by_role("main")).to_contain_text(role)


def visit_until(site, path: str, locator, timeout: float = 90.0) -> None:
    """Open ``path`` until ``locator`` shows (a job the worker runs after a phase change)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        site.visit(path)
        if locator.count():
            return
        assert time.monotonic() < deadline, f"{locator} never appeared on {path}"
        time.sleep(1)


def wait_for_rows(install, statement: str, timeout: float = 90.0, **params) -> None:
    """Wait until ``statement`` returns a row (what the scheduler and worker do after time passed)."""
    import time

    deadline = time.monotonic() + timeout
    while not install.sql(statement, **params):
        install.check_alive()
        assert time.monotonic() < deadline, f"no row for {statement} within {timeout} s"
        time.sleep(0.5)


def day(install, offset_days: int) -> str:
    """A local day, ``offset_days`` from the installation's today (its clock may
    be ahead), as a form's date field takes it."""
    return (today() + timedelta(days=offset_days, seconds=install.offset)).isoformat()


def set_phase(page, n: int, kind: str, starts: str, ends: str = "", can: tuple = ()) -> None:
    row = page.get_by_role("group", name=f"Phase {n}", exact=True)
    row.get_by_label("Type de phase").select_option(label=kind)
    row.get_by_label("Commence le").fill(starts)
    if ends:
        row.get_by_label("Se termine le (inclus)").fill(ends)
    for capability in can:
        row.get_by_label(capability).check()


def create_process(site, title: str) -> int:
    """An official creates a process with categories and a support threshold,
    sets its phases (proposals open in two days) and publishes it."""
    page, install = site.page, site.live
    site.visit("/processes/new")
    fill(page, {"Titre": title, "Résumé": "Aménager les rues pour les vélos et les piétons.",
                "Description complète": "Vos idées pour **circuler autrement** dans le quartier.",
                "Catégories": "Pistes\nStationnement", "Seuil de soutiens": "Un nombre de soutiens",
                "Valeur du seuil": "1", "Délai de réponse en jours une fois le seuil atteint": "14"})
    click(site, page.get_by_role("button", name="Enregistrer"))
    process_id = int(re.search(r"/processes/(\d+)", page.url).group(1))
    site.visit(f"/processes/{process_id}/phases")
    set_phase(page, 1, "Information", day(install, 0), day(install, 1))
    set_phase(page, 2, "Propositions", day(install, 2), day(install, 20),
              can=("Déposer des propositions", "Soutenir des propositions", "Commenter les propositions"))
    set_phase(page, 3, "Résultats", day(install, 21))
    click(site, page.get_by_role("button", name="Enregistrer les phases"))
    site.visit(f"/processes/{process_id}/manage")
    click(site, page.get_by_role("button", name="Publier la démarche"))
    expect(page.get_by_role("status").first).to_contain_text("La démarche est publiée.")
    return process_id


def create_budget(site, title: str) -> int:
    """The admin creates a budget edition (approval vote, one or two projects),
    adds its city-wide envelope and publishes it."""
    page, install = site.page, site.live
    site.visit("/budgets/new")
    fill(page, {"Titre": title, "Présentation": "Un budget de **100 000 €** pour vos projets.",
                "Montant total": "100000", "Approbation\u00a0: nombre minimum de projets": "1",
                "Approbation\u00a0: nombre maximum de projets": "2",
                "Début du dépôt des projets": day(install, 0), "Début de l'étude de faisabilité": day(install, 3),
                "Ouverture du vote": day(install, 5), "Clôture du vote (résultats)": day(install, 8)})
    click(site, page.get_by_role("button", name="Créer l'édition"))
    edition_id = int(re.search(r"/budgets/(\d+)", page.url).group(1))
    site.visit(f"/budgets/{edition_id}/manage")
    fill(page, {"Montant": "100000"})
    click(site, page.get_by_role("button", name="Enregistrer l'enveloppe"))
    click(site, page.get_by_role("button", name="Publier l’édition"))
    return edition_id


def submit_project(site, edition_id: int, title: str, cost: str, picture=None) -> int:
    page = site.page
    site.visit(f"/budgets/{edition_id}/projects/new")
    fill(page, {"Titre": title, "Description": f"{title} : pour tout le quartier.", "Coût estimé": cost})
    if picture is not None:
        page.get_by_label(re.compile(r"^Image")).set_input_files(str(picture))
        fill(page, {"Décrivez l'image en quelques mots": "Une fontaine à boire sur une place ombragée"})
    click(site, page.get_by_role("button", name="Déposer mon projet"))
    expect(page.get_by_role("status").first).to_contain_text("Votre projet est déposé.")
    return int(re.search(r"/projects/(\d+)", page.url).group(1))


def review_feasible(site, project_id: int, cost: str) -> None:
    page = site.page
    site.visit(f"/budgets/projects/{project_id}")
    page.get_by_label("Réalisable\u00a0: il est soumis au vote").check()
    fill(page, {"Coût fixé par la ville": cost, "Raison publique": "Vérifié par les services techniques."})
    click(site, page.get_by_role("button", name="Enregistrer l'étude"))


def propose(site, process_id: int, title: str, body: str, category: str | None, *, similar: bool) -> int:
    """A resident submits a proposal, through the similar-proposals step when one exists."""
    page = site.page
    site.visit(f"/processes/{process_id}")
    click(site, page.get_by_role("link", name="Déposer une proposition"))
    fill(page, {"Titre": title, "Votre proposition": body})
    if category:
        page.get_by_label("Catégorie").select_option(label=category)
    click(site, page.get_by_role("button", name="Publier ma proposition", exact=True))
    if similar:
        expect(page.get_by_role("region", name="Des propositions semblables existent déjà")).to_be_visible()
        expect(page.get_by_label("Titre", exact=True)).to_have_value(title)
        click(site, page.get_by_role("button", name="Publier quand même ma proposition"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status").first).to_contain_text("Votre proposition est publiée.")
    return int(re.search(r"/proposals/(\d+)", page.url).group(1))


def create_consultation(site, title: str) -> int:
    """An official drafts a consultation open to verified residents, adds a
    single-choice question and publishes it; it opens today."""
    page, install = site.page, site.live
    site.visit("/consultations/new")
    fill(page, {"Titre": title, "Contexte": "La ville veut savoir **quand** ouvrir la médiathèque.",
                "S’ouvre le": day(install, 0), "Se termine à la fin du": day(install, 6),
                "Résultats et suites officielles publiés avant le": day(install, 30)})
    page.get_by_label("Habitantes et habitants vérifiés de la ville").check()
    click(site, page.get_by_role("button", name="Enregistrer le brouillon"))
    consultation_id = int(re.search(r"/consultations/(\d+)", page.url).group(1))
    site.visit(f"/consultations/{consultation_id}/manage")
    page.get_by_label("Type de question").select_option(label="Choix unique")
    fill(page, {"Question": "Quel soir ouvrir plus tard ?", "Options": "Mardi\nJeudi\nSamedi"})
    click(site, page.get_by_role("button", name="Ajouter la question"))
    expect(page.get_by_role("main")).to_contain_text("Quel soir ouvrir plus tard ?")
    click(site, page.get_by_role("button", name="Publier la concertation"))
    return consultation_id


def answer_consultation(site, consultation_id: int, choice: str) -> None:
    page = site.page
    site.visit(f"/consultations/{consultation_id}")
    click(site, page.get_by_role("link", name="Répondre à la concertation"))
    page.get_by_role("group", name=re.compile("Quel soir ouvrir plus tard")).get_by_role(
        "radio", name=choice).check()
    click(site, page.get_by_role("button", name="Vérifier mes réponses"))
    click(site, page.get_by_role("button", name="Envoyer mes réponses"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci d’avoir répondu")


def publish_followup(site, consultation_id: int) -> None:
    """An official writes what the city heard and decided, and publishes it."""
    page = site.page
    site.visit(f"/consultations/{consultation_id}")
    click(site, page.get_by_role("link", name="Rédiger les suites données"))
    fill(page, {"Ce que nous avons entendu": "Le jeudi soir est le plus demandé."})
    step = page.get_by_role("group", name="Étape 1", exact=True)
    step.get_by_label("Date").fill(day(site.live, 40))
    step.get_by_label("Ce qui se passe").fill("Ouverture jusqu’à 21 h le jeudi dès janvier.")
    click(site, page.get_by_role("button", name="Enregistrer le brouillon"))
    fill(page, {"Décision": "La médiathèque ouvre le jeudi jusqu’à 21 h."})
    click(site, page.get_by_role("button", name="Ajouter la décision"))
    click(site, page.get_by_role("button", name="Publier les suites données"))
    expect(page.get_by_role("status").first).to_contain_text("Les suites données sont publiées.")


def open_debate(site, title: str) -> int:
    page = site.page
    site.visit("/debates/new")
    fill(page, {"Question mise en débat": title,
                "Cadrage": "Faut-il fermer la rue aux voitures le dimanche ? Les commerces et les riverains sont partagés."})
    click(site, page.get_by_role("button", name="Ouvrir le débat"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return int(re.search(r"/debates/(\d+)", page.url).group(1))


def comment_debate(site, debate_id: int, position: str, text: str) -> None:
    page = site.page
    site.visit(f"/debates/{debate_id}")
    page.get_by_label(position, exact=True).check()
    page.get_by_label("Votre commentaire").fill(text)
    click(site, page.get_by_role("button", name="Publier mon commentaire"))
    expect(page.get_by_role("main")).to_contain_text(text)


def report_comment(site, debate_id: int, author: str) -> None:
    page = site.page
    site.visit(f"/debates/{debate_id}")
    click(site, page.get_by_role("link", name=f"Signaler le commentaire de {author}"))
    page.get_by_role("group", name=re.compile("Quel est le problème")).get_by_role(
        "radio", name="Harcèlement ou haine").check()
    fill(page, {"Précisions": "Il vise nommément un commerçant de la rue."})
    click(site, page.get_by_role("button", name="Envoyer le signalement"))
    expect(page.get_by_role("status").first).to_contain_text("votre signalement a été envoyé")


def install_case_id(install, text: str) -> int:
    """The moderation case of the comment saying ``text`` (the queue links each case)."""
    rows = install.sql("SELECT mc.id FROM moderation_case mc JOIN comment c ON c.id = mc.object_id"
                       " WHERE mc.kind = 'comment' AND c.body_source LIKE :t", t=f"%{text}%")
    return rows[0][0]


def hide_reported(site, text: str) -> None:
    """A moderator opens the queue, finds the reported comment and hides it with reasons."""
    page = site.page
    site.visit("/moderation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("File de modération")
    expect(page.get_by_role("main")).to_contain_text(text)
    case_id = install_case_id(site.live, text)
    click(site, page.locator(f"a[href='/moderation/cases/{case_id}']"))
    expect(page.get_by_role("region", name="1 signalement")).to_contain_text("Harcèlement ou haine")
    page.get_by_role("group", name="Décision").get_by_role("radio", name="Masquer le contenu").check()
    rule = page.get_by_role("combobox", name="Règle enfreinte")
    rule.select_option(index=1)
    fill(page, {"Motivation": "Propos visant une personne identifiable."})
    click(site, page.get_by_role("button", name="Enregistrer la décision"))
    expect(page.get_by_role("status").first).to_contain_text("Décision enregistrée")


# --- the cycle -----------------------------------------------------------------------

def test_a_city_runs_a_whole_participation_cycle_from_an_empty_install(city, tmp_path):
    site, page, install = city, city.page, city.live
    run = uuid.uuid4().hex[:4]
    people = {k: f"{k}-{run}@toulouse.example" for k in ("elu", "moderatrice", "mediateur", "lea", "karim")}

    # --- the admin sets the city up: districts, the census list.
    log_in(site, cityinstall.ADMIN_EMAIL, cityinstall.ADMIN_PASSWORD)
    for name, code, postcodes in (("Capitole", "T01", "31000"), ("Saint-Cyprien", "T06", "31300")):
        site.visit("/admin/districts/new")
        fill(page, {"Nom": name, "Code": code, "Codes postaux": postcodes})
        click(site, page.get_by_role("button", name="Enregistrer"))
        expect(page.get_by_role("main")).to_contain_text(name)
    census = tmp_path / "recensement.csv"
    census.write_text("last_name,first_name,birth_date,postcode,district_code\n"
                      "Martin,Léa,1990-04-12,31300,T06\nBenali,Karim,1985-11-02,31000,T01\n"
                      "Garcia,Inès,1961-07-14,31300,T06\n", encoding="utf-8")
    site.visit("/admin/census")
    page.get_by_label("Fichier CSV").set_input_files(str(census))
    click(site, page.get_by_role("button", name="Importer"))
    expect(page.get_by_role("status").first).to_contain_text("3")
    log_out(site)

    # --- staff and residents register and confirm their addresses by mail.
    for key, name, district in (("elu", "Jean Élu", "Capitole"), ("moderatrice", "Mona Modération", "Capitole"),
                                ("mediateur", "Malik Médiateur", "Saint-Cyprien"),
                                ("lea", "Léa M.", "Saint-Cyprien"), ("karim", "Karim B.", "Capitole")):
        register(site, name, people[key], district)

    # --- the admin grants roles.
    log_in(site, cityinstall.ADMIN_EMAIL, cityinstall.ADMIN_PASSWORD)
    grant(site, people["elu"], "Élu·e")
    grant(site, people["moderatrice"], "Modérateur·rice")
    grant(site, people["mediateur"], "Médiateur·rice")
    log_out(site)

    # --- residents verify that they live here, against the census.
    log_in(site, people["lea"])
    verify(site, "Martin", "Léa", "1990-04-12", "31300")
    log_out(site)
    log_in(site, people["karim"])
    verify(site, "BENALI", "karim", "1985-11-02", "31000")
    log_out(site)
    rows = install.sql("SELECT count(*) FROM verification")
    assert rows[0][0] == 2

    # --- the admin opens the spaces: a process with phases.
    log_in(site, cityinstall.ADMIN_EMAIL, cityinstall.ADMIN_PASSWORD)
    process_id = create_process(site, f"Rues apaisées à Saint-Cyprien ({run})")
    consultation_id = create_consultation(site, f"Horaires de la médiathèque ({run})")
    log_out(site)
    log_in(site, people["elu"])
    debate_id = open_debate(site, f"Une rue piétonne le dimanche ? ({run})")
    log_out(site)

    # --- residents answer the consultation; the debate gets comments, one is reported and hidden.
    log_in(site, people["lea"])
    answer_consultation(site, consultation_id, "Jeudi")
    comment_debate(site, debate_id, "Pour", "Oui, et avec des bancs pour les familles.")
    log_out(site)
    log_in(site, people["karim"])
    answer_consultation(site, consultation_id, "Samedi")
    comment_debate(site, debate_id, "Contre", "Le boulanger du coin est un voleur, il faut le dire.")
    log_out(site)
    log_in(site, people["lea"])
    report_comment(site, debate_id, "Karim B.")
    log_out(site)
    log_in(site, people["moderatrice"])
    hide_reported(site, "Le boulanger du coin est un voleur")
    log_out(site)
    site.visit(f"/debates/{debate_id}")
    expect(page.get_by_role("main")).to_contain_text("Ce commentaire a été masqué par la modération.")
    expect(page.get_by_role("main")).not_to_contain_text("Le boulanger du coin est un voleur")
    assert install.sql("SELECT count(*) FROM consultation_participation") == [(2,)]

    # --- time passes: the proposals phase opens by itself.
    install.advance(days=2)
    install.wait_for_phase("process", process_id, "proposals")
    site.visit(f"/processes/{process_id}")
    expect(page.get_by_role("link", name="Déposer une proposition")).to_be_visible()

    # --- residents propose (with and without a category, through the similar step), support, comment.
    log_in(site, people["lea"])
    lea_proposal = propose(site, process_id, "Une piste cyclable rue de la République",
                           "Séparer les vélos des voitures rue de la République, des deux côtés.", "Pistes",
                           similar=False)
    log_out(site)
    log_in(site, people["karim"])
    karim_proposal = propose(site, process_id, "Piste cyclable protégée rue de la République",
                             "Une bordure entre la piste et la chaussée, jusqu'au pont.", None, similar=True)
    site.visit(f"/proposals/{lea_proposal}")
    click(site, page.get_by_role("button", name="Soutenir cette proposition"))
    expect(page.get_by_role("status").first).to_contain_text("votre soutien est compté")
    page.get_by_label("Pour", exact=True).check()
    page.get_by_label("Votre commentaire").fill("C'est l'axe le plus dangereux du quartier.")
    click(site, page.get_by_role("button", name="Publier mon commentaire"))
    expect(page.get_by_role("article", name="Karim B.")).to_contain_text("l'axe le plus dangereux")
    log_out(site)
    assert install.sql("SELECT category FROM proposal ORDER BY id") == [("Pistes",), (None,)]

    # --- a budget edition: residents submit projects (one with a picture), officials review them.
    log_in(site, cityinstall.ADMIN_EMAIL, cityinstall.ADMIN_PASSWORD)
    edition_id = create_budget(site, f"Budget participatif 2027 ({run})")
    log_out(site)
    # No time passes: the submission phase began today, so residents may submit at once
    # (phases follow their dates on read, without waiting for the scheduler).
    from PIL import Image

    picture = tmp_path / "fontaine.png"
    Image.new("RGB", (1200, 800), (40, 110, 160)).save(picture)
    log_in(site, people["lea"])
    fountain = submit_project(site, edition_id, "Fontaine à boire place Olivier", "40000", picture)
    log_out(site)
    log_in(site, people["karim"])
    benches = submit_project(site, edition_id, "Bancs au jardin Raymond VI", "25000")
    log_out(site)
    install.advance(days=3)  # the feasibility review opens
    install.wait_for_phase("budget", edition_id, "review")
    log_in(site, people["elu"])
    review_feasible(site, fountain, "42000")
    review_feasible(site, benches, "25000")
    log_out(site)

    # --- the vote opens: a resident votes online, a mediator records a paper ballot.
    install.advance(days=2)
    install.wait_for_phase("budget", edition_id, "voting")
    log_in(site, people["lea"])
    site.visit(f"/budgets/{edition_id}")
    click(site, page.get_by_role("link", name="Voter pour Toute la ville"))
    expect(page.locator("img[alt='Une fontaine à boire sur une place ombragée']")).to_be_visible()
    page.get_by_label(re.compile("Fontaine à boire place Olivier")).check()
    click(site, page.get_by_role("button", name="Envoyer mon vote"))
    expect(page.get_by_role("status").first).to_contain_text("Votre vote est enregistré")
    log_out(site)
    log_in(site, people["mediateur"])
    site.visit(f"/budgets/{edition_id}")
    click(site, page.get_by_role("link", name="Saisir un bulletin papier pour Toute la ville"))
    fill(page, {"Numéro du bulletin": "P-0001", "Nom de la personne": "Garcia",
                "Prénom(s) de la personne": "Inès", "Date de naissance de la personne": "1961-07-14",
                "Code postal de la personne": "31300"})
    page.get_by_label(re.compile("Bancs au jardin Raymond VI")).check()
    click(site, page.get_by_role("button", name="Enregistrer le bulletin papier"))
    expect(page.get_by_role("status").first).to_contain_text("Le bulletin papier P-0001 est enregistré.")
    log_out(site)
    assert install.sql("SELECT channel FROM budget_ballot ORDER BY id") == [("online",), ("paper",)]

    # --- voting closes: an official publishes the results from the manage page.
    install.advance(days=3)
    install.wait_for_phase("budget", edition_id, "results")
    log_in(site, people["elu"])
    visit_until(site, f"/budgets/{edition_id}/manage", page.get_by_role("button", name="Publier les résultats"))
    click(site, page.get_by_role("button", name="Publier les résultats"))
    expect(page.get_by_role("status").first).to_contain_text("Les résultats sont publiés.")
    log_out(site)
    site.visit(f"/budgets/{edition_id}/results")
    expect(page.get_by_role("table").get_by_role("row").filter(has_text="Fontaine à boire")).to_contain_text("Retenu")

    # --- the consultation has closed by itself: an official publishes the city's follow-up.
    wait_for_rows(install, "SELECT 1 FROM consultation WHERE id = :i AND status = 'closed'"
                  " AND results_computed_at IS NOT NULL", i=consultation_id)
    log_in(site, people["elu"])
    publish_followup(site, consultation_id)
    log_out(site)
    site.visit(f"/consultations/{consultation_id}")
    followup = page.get_by_role("region", name="Les suites données par la ville")
    expect(followup).to_contain_text("La médiathèque ouvre le jeudi jusqu’à 21 h.")
    expect(followup).to_contain_text("Ouverture jusqu’à 21 h le jeudi dès janvier.")

    # --- an official answers Léa's proposal on time; Karim's, supported later, is left unanswered.
    log_in(site, people["lea"])
    site.visit(f"/proposals/{karim_proposal}")
    click(site, page.get_by_role("button", name="Soutenir cette proposition"))
    log_out(site)
    log_in(site, people["elu"])
    site.visit(f"/proposals/{lea_proposal}")
    click(site, page.get_by_role("link", name="Répondre à cette proposition ou en publier le suivi (élu·es et services)"))
    expect(page.get_by_role("combobox", name="Décision")).to_have_value("accepted")
    page.get_by_role("textbox", name="Réponse officielle").fill("Acceptée : la piste est inscrite au programme 2027.")
    click(site, page.get_by_role("button", name="Publier la réponse"))
    expect(page.locator("#answer")).to_contain_text("la piste est inscrite au programme 2027")
    log_out(site)

    # --- weeks pass: the accountability page shows the answer given on time and the one overdue.
    install.advance(days=20)
    site.visit("/accountability")
    table = page.get_by_role("table", name="Objets attendant une réponse officielle")
    expect(table.get_by_role("row").filter(has_text="Une piste cyclable rue de la République")).to_contain_text(
        "Réponse dans les délais")
    expect(table.get_by_role("row").filter(has_text="Piste cyclable protégée rue de la République")).to_contain_text(
        "En retard")

    # --- search finds each item: from the header's box, then by a few words typed without accents.
    site.visit("/")
    page.get_by_role("search").get_by_label("Rechercher sur le site").fill(run)
    click(site, page.get_by_role("search").get_by_role("button", name="Rechercher"))
    main = page.get_by_role("main")
    for title in (f"Rues apaisées à Saint-Cyprien ({run})", f"Horaires de la médiathèque ({run})",
                  f"Une rue piétonne le dimanche ? ({run})", f"Budget participatif 2027 ({run})"):
        expect(main.get_by_role("link", name=title)).to_be_visible()
    for words, title in (("piste republique", "Une piste cyclable rue de la République"),
                         ("protegee", "Piste cyclable protégée rue de la République"),
                         ("fontaine olivier", "Fontaine à boire place Olivier"),
                         ("bancs raymond", "Bancs au jardin Raymond VI")):
        site.visit(f"/search?q={words}")
        expect(main.get_by_role("link", name=title)).to_be_visible()
