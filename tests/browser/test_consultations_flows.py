"""Consultations in the browser: a resident answers every question type with
the keyboard only, checks the summary, confirms, changes the answers in
French and gets each confirmation over SMTP; an official closes the
consultation, the results come as an accessible SVG chart with the same
figures in a table, and the official follow-up is published and mailed.
JavaScript on and off; every page passes axe-core, stays light and calls no
other site (the checks of tests/browser)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out, skip_to_main, switch_language, wait_for_mails

pytestmark = pytest.mark.browser


def _consultation(live, official: str, title: str) -> SimpleNamespace:
    """An open consultation with one question of each type, built through the
    services as tests/consultations/factories.py does."""
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.consultations import services
        from civic.core.time import today as local_today
        from civic.extensions import db
        from tests.consultations.factories import add_every_kind_of_question

        actor = find_user_by_email(official)
        today = local_today()
        c = services.create_consultation(actor, title=title, context="Pourquoi **maintenant** : le budget 2027.",
                                         opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=10),
                                         results_due_on=today + timedelta(days=30))
        add_every_kind_of_question(actor, c)
        services.publish_consultation(actor, c)
        db.session.commit()
        q = {x.kind.value: SimpleNamespace(id=x.id, choices={ch.label: ch.id for ch in x.choices})
             for x in c.questions}
        return SimpleNamespace(id=c.id, title=title, q=q)
    return live.query(build)


def _responses(live, consultation_id: int) -> list[dict]:
    from civic.consultations.models import AnonymousResponse
    from civic.extensions import db

    return live.query(lambda: [r.answers for r in db.session.scalars(sa.select(AnonymousResponse).where(
        AnonymousResponse.consultation_id == consultation_id))])


def _place(site, select, place: str) -> None:
    """Pick "Place N" in a ranking drop-down with the arrow keys."""
    site.tab_to(select)
    texts = select.locator("option").all_inner_texts()
    target = texts.index(place)
    while select.evaluate("e => e.selectedIndex") < target:
        site.page.keyboard.press("ArrowDown")
    while select.evaluate("e => e.selectedIndex") > target:
        site.page.keyboard.press("ArrowUp")


def test_a_resident_answers_every_question_type_confirms_and_changes_the_answers_with_the_keyboard(
        site, make_user):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    official = make_user(name="Jean Élu", roles=("official",))
    resident = make_user(name="Léa M.")
    c = _consultation(live, official, f"Horaires des bibliothèques ({run})")
    q = c.q

    log_in(site, resident)
    site.visit("/consultations")
    site.enter(page.get_by_role("link", name=c.title))
    expect(page.get_by_role("heading", level=1)).to_have_text(c.title)
    site.enter(page.get_by_role("link", name="Answer the consultation"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Answer: {c.title}")

    # Single choice: Tab into the radio group, the arrow key moves to "North" and selects it.
    single = page.get_by_role("group", name="1. Which library do you use?")
    site.tab_to(single.get_by_role("radio", name="Centre"))
    page.keyboard.press("ArrowDown")
    expect(single.get_by_role("radio", name="North")).to_be_checked()
    # Multiple choice: Space ticks the boxes.
    multiple = page.get_by_role("group", name="2. Which opening slots?")
    for label in ("Sunday", "Evening"):
        site.tab_to(multiple.get_by_role("checkbox", name=label))
        page.keyboard.press("Space")
    # Ranking: places chosen in drop-downs.
    ranking = page.get_by_role("group", name="3. Rank the services")
    _place(site, ranking.get_by_role("combobox", name="Quiet rooms"), "Place 1")
    _place(site, ranking.get_by_role("combobox", name="Books"), "Place 2")
    # Agreement scale: from "1 — Strongly disagree", three steps down to "4 — Agree".
    scale = page.get_by_role("group", name="4. Open on Sundays?")
    site.tab_to(scale.get_by_role("radio").first)
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(scale.get_by_role("radio", name="4 — Agree")).to_be_checked()
    # Free text.
    site.tab_to(page.get_by_label("5. Any idea"))
    page.keyboard.type("Une boîte de retour ouverte la nuit.")
    site.enter(page.get_by_role("button", name="Check my answers"))

    # The summary says everything back before anything is recorded.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    main = page.get_by_role("main")
    for text in ("North", "Sunday", "Evening", "1. Quiet rooms", "2. Books", "Agree", "Une boîte de retour"):
        expect(main).to_contain_text(text)
    assert _responses(live, c.id) == []
    site.tab_to(page.get_by_label("Email me when the results and the city's follow-up are published"))
    page.keyboard.press("Space")
    site.enter(page.get_by_role("button", name="Send my answers"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for answering")
    expect(page.locator(".edit-code")).to_have_text(re.compile(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$"))
    [answers] = _responses(live, c.id)
    assert answers[str(q["single"].id)]["choices"] == [q["single"].choices["North"]]
    assert answers[str(q["multiple"].id)]["choices"] == [q["multiple"].choices["Sunday"], q["multiple"].choices["Evening"]]
    assert answers[str(q["ranking"].id)]["choices"] == [q["ranking"].choices["Quiet rooms"], q["ranking"].choices["Books"]]
    assert answers[str(q["scale"].id)]["value"] == 4
    [mail] = wait_for_mails(live, resident, 1)
    assert mail.subject == f"Thank you for answering: {c.title}"

    # --- change the answers, in French this time.
    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci d’avoir répondu")
    site.enter(page.get_by_role("link", name="Modifier mes réponses"))
    expect(page.get_by_role("main")).to_contain_text("Vous modifiez vos réponses")
    scale = page.get_by_role("group", name="4. Open on Sundays?")
    expect(scale.get_by_role("radio").nth(3)).to_be_checked()  # the recorded answer is shown back
    site.tab_to(scale.get_by_role("radio").nth(3))
    page.keyboard.press("ArrowDown")
    expect(scale.get_by_role("radio").nth(4)).to_be_checked()
    site.enter(page.get_by_role("button", name="Vérifier mes réponses"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos réponses")
    site.enter(page.get_by_role("button", name="Enregistrer mes modifications"))
    expect(page.get_by_role("status").first).to_contain_text("Vos réponses ont été modifiées")
    [answers] = _responses(live, c.id)  # still one response, changed
    assert answers[str(q["scale"].id)]["value"] == 5
    changed = wait_for_mails(live, resident, 2)[1]
    assert changed.subject == f"Vos réponses ont été modifiées\u00a0: {c.title}"


def test_an_official_closes_publishes_results_and_follow_up_and_participants_are_told(site, make_user):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    official = make_user(name="Jean Élu", roles=("official",))
    participants = [make_user(name=f"Habitant {i}") for i in range(3)]
    c = _consultation(live, official, f"Avenir du marché couvert ({run})")
    q = c.q

    def answer_all():
        from werkzeug.datastructures import MultiDict

        from civic.accounts.services import find_user_by_email
        from civic.consultations import services
        from civic.extensions import db

        consultation = services.get_consultation(c.id)
        for n, address in enumerate(participants):
            form = MultiDict([(f"q{q['single'].id}", str(q["single"].choices["North" if n else "Centre"])),
                              (f"q{q['multiple'].id}", str(q["multiple"].choices["Sunday"])),
                              (f"q{q['ranking'].id}_c{q['ranking'].choices['Books']}", "1"),
                              (f"q{q['scale'].id}", str(3 + n % 2))])
            services.answer_consultation(find_user_by_email(address), consultation, form, notify=True)
        db.session.commit()
    live.query(answer_all)
    wait_for_mails(live, participants[0], 1)  # the answer's confirmation

    log_in(site, official)
    # The form for a new consultation lists the districts as labelled checkboxes
    # (it failed with a server error as soon as a district existed).
    site.visit("/consultations/new")
    districts = page.get_by_role("group", name="Districts whose verified residents may answer")
    expect(districts.get_by_role("checkbox", name="Saint-Cyprien")).to_be_visible()

    site.visit(f"/consultations/{c.id}")
    expect(page.get_by_role("main")).to_contain_text("3 responses so far.")
    site.enter(page.get_by_role("link", name="Manage this consultation"))
    site.tab_to(page.get_by_label("Reason for closing early"))
    page.keyboard.type("Le conseil municipal vote le projet le mois prochain.")
    site.enter(page.get_by_role("button", name="Close the consultation now"))
    expect(page.get_by_role("status").first).to_contain_text("The consultation is closed.")
    live.drain_jobs()  # RQ mode: compute the results now (inline: done after the commit)

    site.visit(f"/consultations/{c.id}")
    site.enter(page.get_by_role("link", name="See the results"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results: {c.title}")
    # Every choice question has a chart (an image with a name) and the same figures in a table.
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(4)
    expect(page.get_by_role("img", name="Chart of the answers to “Which library do you use?”; "
                                        "the same figures are in the table.")).to_be_visible()
    single = page.get_by_role("region", name="1. Which library do you use?")
    expect(single.locator("svg")).to_contain_text("2 (66.7 %)")
    expect(single.get_by_role("row").filter(has_text="North")).to_contain_text("66.7 %")
    expect(single.get_by_role("row").filter(has_text="Centre")).to_contain_text("33.3 %")
    results_mail = wait_for_mails(live, participants[1], 2)[1]
    assert results_mail.subject == f"Results published: {c.title}"

    # The follow-up: what we heard, a decision, what happens next; then published.
    site.visit(f"/consultations/{c.id}")
    site.enter(page.get_by_role("link", name="Write the follow-up"))
    site.tab_to(page.get_by_label("What we heard"))
    page.keyboard.type("Les habitants veulent le marché **le dimanche** ; certains craignent le bruit.")
    # Two next steps in the structured editor: "Add a step" is answered in the
    # page with JavaScript, by the server without (the text typed is kept).
    step = page.get_by_role("group", name="Step 1", exact=True)
    site.tab_to(step.get_by_label("Date"))
    step.get_by_label("Date").fill("2027-06-15")
    site.tab_to(step.get_by_label("What happens"))
    page.keyboard.type("Bilan après trois mois")
    add = page.get_by_role("button", name="Add a step")
    if site.js:
        site.tab_to(add)
        page.keyboard.press("Enter")
        expect(page.get_by_role("group", name="Step 2", exact=True).get_by_label("Date")).to_be_focused()
    else:
        site.enter(add)
        expect(page.get_by_role("group", name="Step 1", exact=True).get_by_label("What happens")).to_have_value(
            "Bilan après trois mois")
        expect(page.get_by_label("What we heard")).to_contain_text("certains craignent le bruit")
    step = page.get_by_role("group", name="Step 2", exact=True)
    site.tab_to(step.get_by_label("Date"))
    step.get_by_label("Date").fill("2027-03-01")
    site.tab_to(step.get_by_label("What happens"))
    page.keyboard.type("Début des travaux")
    site.enter(page.get_by_role("button", name="Save the draft"))
    expect(page.get_by_role("status").first).to_contain_text("The draft of the follow-up is saved.")
    site.tab_to(page.get_by_label("Decision", exact=True))
    page.keyboard.type("Ouverture le dimanche matin dès mars")
    site.enter(page.get_by_role("button", name="Add the decision"))
    expect(page.get_by_role("status").first).to_contain_text("The decision is added.")
    site.enter(page.get_by_role("button", name="Publish the follow-up"), limit=120)
    expect(page.get_by_role("status").first).to_contain_text("The follow-up is published.")
    followup = page.get_by_role("region", name="The city's follow-up")
    expect(followup).to_contain_text("Ouverture le dimanche matin dès mars")
    # The steps, by date.
    expect(followup.locator("ol.timeline li")).to_have_text(
        [re.compile("Début des travaux"), re.compile("Bilan après trois mois")])
    mail = wait_for_mails(live, participants[2], 3)[2]
    assert mail.subject == f"What the city decided: {c.title}"
    log_out(site)

    # Anyone reads the results in French.
    site.visit(f"/consultations/{c.id}/results")
    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Résultats : {c.title}")
    skip_to_main(site)
    expect(page.get_by_role("table").first).to_be_visible()
