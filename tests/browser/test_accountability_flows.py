"""The accountability page in the browser: in a district of its own, a
consultation answered on time, one still pending, a proposal answered late
and one overdue, each correctly labelled (in words, not colour), filtered by
district with the keyboard only, in English and French, JavaScript on and
off. Every page passes axe-core, stays light and calls no other site."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import switch_language

pytestmark = pytest.mark.browser


def _district_id(code: str) -> int:
    import sqlalchemy as sa

    from civic.accounts.models import District
    from civic.extensions import db

    return db.session.scalar(sa.select(District.id).where(District.code == code))


def _closed_consultation(live, official: str, code: str, title: str) -> int:
    """A consultation of the district, closed now: it owes results and a
    follow-up within 30 days. The results job runs after the commit."""
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.consultations import services
        from civic.extensions import db

        actor = find_user_by_email(official)
        from civic.core.time import today as local_today

        today = local_today()
        c = services.create_consultation(actor, title=title, district_id=_district_id(code),
                                         opens_on=today - timedelta(days=2), closes_on=today + timedelta(days=5),
                                         results_due_on=today + timedelta(days=30))
        services.add_question(actor, c, kind="scale", prompt="Faut-il ouvrir le parc la nuit ?")
        services.publish_consultation(actor, c)
        db.session.commit()
        services.close_consultation(actor, c, "Le conseil de quartier se réunit plus tôt que prévu.")
        db.session.commit()
        return c.id
    return live.query(build)


def _publish_followup(live, official: str, consultation_id: int) -> None:
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.consultations import services
        from civic.extensions import db

        actor = find_user_by_email(official)
        c = services.get_consultation(consultation_id)
        services.save_followup(actor, c, heard="Une majorité veut une ouverture **l'été**.",
                               next_steps=[{"date": "2027-06-01", "text": "Ouverture d'essai"}])
        services.add_decision(actor, c, title="Ouverture nocturne l'été, à l'essai")
        services.publish_followup(actor, c)
        db.session.commit()
    live.query(build)


def _owed_proposals(live, admin: str, official: str, author: str, code: str, titles: dict) -> None:
    """A process of the district without a support threshold (every proposal is
    owed an answer); the answers were due some days ago; one is answered now."""
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.core import phases
        from civic.core.time import utcnow
        from civic.extensions import db
        from civic.processes import services

        actor = find_user_by_email(admin)
        process = services.create_process(actor, services.ProcessData(
            title=f"Réaménagement de la place ({code})", summary="Vos idées pour la place.",
            district_id=_district_id(code), answer_delay_days=30))
        now = utcnow()
        services.save_phases(actor, process, [
            phases.PhaseSpec("proposals", "Propositions", now - timedelta(days=40), now + timedelta(days=10),
                             ("submit", "support", "comment"))])
        services.publish_process(actor, process)
        made = {}
        for key, title in titles.items():
            made[key] = services.submit_proposal(find_user_by_email(author), process, services.ProposalData(
                title=title, body="Des bancs à l'ombre et une fontaine au milieu de la place, pour l'été."))
        db.session.flush()
        # Owed for a month; due five days ago (answered now: late) and three days ago (still owed).
        for key, days in (("late", 5), ("overdue", 3)):
            made[key].queued_at = now - timedelta(days=30 + days)
            made[key].answer_due_at = now - timedelta(days=days)
        db.session.commit()
        services.answer_proposal(find_user_by_email(official), made["late"], "accepted",
                                 "Accepté : deux bancs et une fontaine seront posés au printemps.")
        db.session.commit()
    live.query(build)


def _row(page, title: str):
    return page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))


def test_accountability_shows_on_time_late_pending_and_overdue_items_of_a_district(site, make_user, make_district):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    admin = make_user(name="Anne Admin", roles=("admin",))
    official = make_user(name="Jean Élu", roles=("official",))
    author = make_user(name="Léa M.")
    code = make_district("Arnaud-Bernard")
    titles = {"on_time": f"Le parc la nuit ({run})", "pending": f"Les horaires de la piscine ({run})",
              "late": f"Des bancs sur la place ({run})", "overdue": f"Une fontaine sur la place ({run})"}
    answered = _closed_consultation(live, official, code, titles["on_time"])
    _closed_consultation(live, official, code, titles["pending"])
    live.drain_jobs()  # RQ mode: the results jobs (inline mode: already done)
    _publish_followup(live, official, answered)
    _owed_proposals(live, admin, official, author, code, {"late": titles["late"], "overdue": titles["overdue"]})

    site.visit("/")
    site.enter(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Accountability"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Accountability: the answers the city owes")

    # Filter by the district with the keyboard: type its name in the drop-down, Tab to the button.
    district = page.get_by_role("combobox", name="District")
    site.tab_to(district)
    page.keyboard.type(f"Arnaud-Bernard {code}")
    expect(district).to_have_value(code)
    site.enter(page.get_by_role("button", name="Filter"))
    assert page.url.endswith(f"district={code}&state=") or f"district={code}" in page.url
    expect(page.get_by_role("heading", level=2, name=f"In figures — Arnaud-Bernard {code}")).to_be_visible()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(5)  # the header and our four items

    expect(_row(page, titles["on_time"])).to_contain_text("Answered on time")
    expect(_row(page, titles["pending"])).to_contain_text("Pending")
    expect(_row(page, titles["late"])).to_contain_text("Answered 5 days late")
    expect(_row(page, titles["overdue"])).to_contain_text("Overdue by 3 days")
    # Overdue first, then pending, then answered (most recent answer first): the documented order.
    order = [page.get_by_role("table").locator("tbody tr").nth(i).get_by_role("link").inner_text() for i in range(4)]
    assert order[:2] == [titles["overdue"], titles["pending"]]
    assert set(order[2:]) == {titles["late"], titles["on_time"]}
    figures = page.locator("dl.data")
    for label, value in (("Answers owed", "4"), ("Answered on time", "1"), ("Answered late", "1"),
                         ("Overdue, still unanswered", "1"), ("Pending, not yet due", "1")):
        expect(figures.locator(f"dt:text-is('{label}') + dd")).to_have_text(value)

    # Only overdue items, then the same page in French.
    state = page.get_by_role("combobox", name="Where it stands")
    site.tab_to(state)
    page.keyboard.press("ArrowDown")  # "Overdue" follows "Every status"
    expect(state).to_have_value("overdue")
    site.enter(page.get_by_role("button", name="Filter"))
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    expect(_row(page, titles["overdue"])).to_be_visible()

    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Redevabilité")
    expect(_row(page, titles["overdue"])).to_contain_text("En retard de 3 jours")
    site.visit(f"/accountability?district={code}")
    expect(_row(page, titles["on_time"])).to_contain_text("Réponse dans les délais")
    expect(_row(page, titles["late"])).to_contain_text("Réponse avec 5 jours de retard")
    expect(_row(page, titles["pending"])).to_contain_text("En attente")
