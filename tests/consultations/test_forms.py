"""The consultation forms as officials and moderators see them: a refused
move keeps the page and what was typed; dates are the local days entered;
pages are whole numbers; actions are shown to those who may take them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from civic.consultations import services
from civic.consultations.models import Consultation, FreeTextAnswer
from civic.core.time import today
from civic.extensions import db
from tests.consultations import factories
from tests.helpers import reload


def test_a_refused_publish_shows_the_manage_page_again_with_the_message(client, login, factory, official):
    c = factories.consultation(official, state="draft", title="Berges de la Garonne")
    colleague = factory.user(email="collegue@example.org", roles=("official",))
    login(official)
    assert client.get(f"/consultations/{c.id}/manage").status_code == 200
    services.publish_consultation(colleague, reload(c))  # meanwhile, from another browser
    db.session.commit()
    resp = client.post(f"/consultations/{c.id}/manage", data={"action": "publish"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "<h1>Manage: Berges de la Garonne</h1>" in html  # the page, not an error page
    assert "There is a problem" in html and "no longer possible in the current state" in html
    assert 'name="close-reason"' in html  # what can be done now is offered


def test_a_refused_edit_keeps_what_was_typed(client, login, factory, official):
    c = factories.consultation(official, state="draft", title="Berges de la Garonne")
    colleague = factory.user(email="collegue@example.org", roles=("official",))
    login(official)
    form = client.get(f"/consultations/{c.id}/edit").get_data(as_text=True)
    assert 'value="Berges de la Garonne"' in form
    services.publish_consultation(colleague, reload(c))
    db.session.commit()
    resp = client.post(f"/consultations/{c.id}/edit", data={
        "title": "Berges de la Garonne, rive gauche", "context": "Un long texte tapé avec soin",
        "eligibility": "confirmed_email", "opens_on": today().isoformat(),
        "closes_on": (today() + timedelta(days=10)).isoformat(),
        "results_due_on": (today() + timedelta(days=30)).isoformat()})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "A published consultation can no longer be changed." in html
    assert 'value="Berges de la Garonne, rive gauche"' in html and "Un long texte tapé avec soin" in html
    assert reload(c).title == "Berges de la Garonne"


def test_a_question_refused_because_the_consultation_was_published_is_not_lost(client, login, factory, official):
    c = factories.consultation(official, state="draft")
    colleague = factory.user(email="collegue@example.org", roles=("official",))
    login(official)
    services.publish_consultation(colleague, reload(c))
    db.session.commit()
    resp = client.post(f"/consultations/{c.id}/manage", data={
        "action": "add_question", "q-kind": "single", "q-prompt": "Quel quartier habitez-vous ?",
        "q-choices": "Saint-Cyprien\nMirail", "q-required": "y"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Questions can only be changed while the consultation is a draft." in html
    assert 'value="Quel quartier habitez-vous ?"' in html and "Saint-Cyprien\nMirail" in html
    assert len(reload(c).questions) == 5


def test_a_refused_review_shows_the_queue_again_with_the_reason(client, login, factory, official, run_jobs):
    c = factories.consultation(official, free_text_private=True)
    factories.answer(c, text="Secret")
    factories.close(c, official)
    run_jobs()
    text = db.session.scalars(sa.select(FreeTextAnswer)).one()
    login(factory.user(email="mod@example.org", roles=("moderator",)))
    resp = client.post("/consultations/review", data={"text_id": str(text.id), "decision": "approve"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "<h1>Free-text answers to review</h1>" in html and "This consultation keeps free texts private." in html


def test_dates_entered_around_the_october_change_of_time_are_read_back_as_the_same_days(client, login, official):
    # Europe/Paris leaves summer time on Sunday 25 October 2026 at 03:00.
    login(official)
    resp = client.post("/consultations/new", data={
        "title": "Horaires d'hiver", "eligibility": "confirmed_email", "opens_on": "2026-10-25",
        "closes_on": "2026-10-26", "results_due_on": "2026-10-27"})
    assert resp.status_code == 302
    c = db.session.scalars(sa.select(Consultation)).one()
    # Stored as the local midnights in UTC: +2 before the change, +1 after.
    assert c.opens_at == datetime(2026, 10, 24, 22, 0)
    assert c.closes_at == datetime(2026, 10, 26, 23, 0)  # the end of the 26th, exclusive
    assert c.results_due_at == datetime(2026, 10, 27, 23, 0)
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "from October 25, 2026 to October 26, 2026" in page and "published by October 27, 2026" in page
    form = client.get(f"/consultations/{c.id}/edit").get_data(as_text=True)
    for name, day in (("opens_on", "2026-10-25"), ("closes_on", "2026-10-26"), ("results_due_on", "2026-10-27")):
        [tag] = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', form)
        assert f'value="{day}"' in tag, tag
    official.locale = "fr"
    db.session.commit()
    assert "du 25 octobre 2026 au 26 octobre 2026" in client.get(f"/consultations/{c.id}").get_data(as_text=True)


def test_a_page_number_that_is_not_a_whole_number_from_1_is_refused(client, make_consultation):
    make_consultation()
    for url in ("/consultations", "/api/v1/consultations"):
        for page in ("0", "-1", "abc", "100001"):
            resp = client.get(f"{url}?page={page}")
            assert resp.status_code == 422, (url, page)
        assert client.get(f"{url}?page=1").status_code == 200
    body = client.get("/api/v1/consultations?page=0").get_json()
    assert "page" in body["error"]["fields"]


def test_actions_are_offered_to_those_who_may_take_them(client, login, factory):
    d1, d2 = factory.district(code="T01"), factory.district(code="T02")
    mine = factory.user(email="elu1@example.org", roles=[("official", d1)])
    c = factories.consultation(mine, district_id=d1.id)
    for who, manage, paper, new in (
            (factory.user(email="resident@example.org"), False, False, False),
            (factory.user(email="elu2@example.org", roles=[("official", d2)]), False, False, True),
            (mine, True, False, True),
            (factory.user(email="mediatrice@example.org", roles=[("mediator", d1)]), False, True, False)):
        login(who)
        page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
        assert ("Manage this consultation" in page) is manage, who.email
        assert ("Enter paper answers" in page) is paper, who.email
        back_office = client.get("/admin/")  # the create links are in the back office's « Create » section
        assert ("New consultation" in back_office.get_data(as_text=True)) is new, who.email
        client.post("/account/logout")
