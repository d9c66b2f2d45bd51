"""The newsletter in the browser, in French, keyboard only, JavaScript on and
off: a resident asks for it, an official writes a letter, sends herself a test
and schedules it; the resident receives it over real SMTP and stops it with
the one-click link, which withdraws the consent. Every page passes axe-core,
stays light and calls no other site (tests/browser checks)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out, skip_to_main, switch_language, wait_for_mails

pytestmark = pytest.mark.browser


def _consent_of(live, address: str):
    from civic.accounts.services import find_user_by_email
    from civic.core.consents import Consent
    from civic.extensions import db

    def read():
        user = find_user_by_email(address)
        return db.session.execute(sa.select(Consent.withdrawn_at, Consent.withdrawn_via, Consent.wording)
                                  .where(Consent.user_id == user.id).order_by(Consent.id.desc())).first()
    return live.query(read)


def test_a_resident_asks_for_the_newsletter_receives_it_and_stops_it_in_one_click(site, make_user):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    resident = make_user(name="Léa Lectrice", locale="fr")
    official = make_user(name="Jean Élu", locale="fr", roles=("official",))

    # --- the resident asks for the newsletter from its page.
    site.visit("/newsletters/")
    switch_language(site, "fr")
    log_in(site, resident)
    site.visit("/newsletters/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lettre d’information")
    skip_to_main(site)
    site.enter(page.get_by_role("button", name="Je souhaite recevoir la lettre d’information de la ville par e-mail"))
    expect(page.get_by_role("status").first).to_contain_text("Vous recevrez la lettre d’information.")
    expect(page.get_by_role("main")).to_contain_text("Vous recevez la lettre d’information.")
    withdrawn_at, _via, wording = _consent_of(live, resident)
    assert withdrawn_at is None and wording == "Je souhaite recevoir la lettre d’information de la ville par e-mail"
    log_out(site)

    # --- an official writes, previews, tests and schedules a letter to the whole city.
    log_in(site, official)
    site.visit("/newsletters/manage")
    site.enter(page.get_by_role("link", name="Écrire une lettre d’information"))
    subject = f"Le budget participatif est ouvert ({run})"
    site.tab_to(page.get_by_label("Objet"))
    page.keyboard.type(subject)
    site.tab_to(page.get_by_label("Lettre"))
    page.keyboard.type("Bonjour,\n\n**Le vote est ouvert** jusqu’au 15 janvier.")
    site.enter(page.get_by_role("button", name="Enregistrer le brouillon"))
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.get_by_role("region", name="Aperçu").locator("strong")).to_have_text("Le vote est ouvert")
    site.enter(page.get_by_role("button", name="M’envoyer un test"))
    expect(page.get_by_role("status").first).to_contain_text("Un test a été envoyé")
    test_mail = wait_for_mails(live, official, 1)[0]
    assert test_mail.subject == f"[Test] {subject}" and "Ceci est un test" in test_mail.body
    site.enter(page.get_by_role("button", name="Programmer l’envoi"))
    expect(page.get_by_role("status").first).to_contain_text("L’envoi de la lettre est programmé.")
    log_out(site)

    # --- the periodic sender runs (the scheduler's job, here called directly).
    from civic.newsletters import sending

    live.query(sending.run_sender)
    letters = [m for m in wait_for_mails(live, resident, 1) if m.subject == subject]
    assert len(letters) == 1
    letter = letters[0]
    assert "**Le vote est ouvert** jusqu’au 15 janvier." in letter.body and "<img" not in letter.body

    # --- the sent letter is in the public archive.
    site.visit("/newsletters/")
    site.enter(page.get_by_role("link", name=subject))
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)

    # --- the resident stops it from the mail, logged out: the consent is withdrawn.
    page.goto(letter.link("/unsubscribe/"))
    site.check()
    skip_to_main(site)
    site.enter(page.get_by_role("button", name="Se désinscrire"))
    expect(page.get_by_role("status").first).to_contain_text("vous ne recevrez plus ces e-mails")
    withdrawn_at, via, _w = _consent_of(live, resident)
    assert withdrawn_at is not None and via == "mail"
