"""Officials: create, add questions, publish, close, publish the follow-up."""

from datetime import timedelta

import sqlalchemy as sa

from civic.consultations import services
from civic.consultations.models import Consultation, Status
from civic.core.models import AuditEntry
from civic.core.time import today
from civic.core.time import today as local_today
from civic.extensions import db
from tests.consultations import factories
from tests.consultations.factories import close, form_for


def test_official_creates_adds_questions_and_publishes_through_the_pages(client, login, official):
    login(official)
    today = local_today()
    bad = client.post("/consultations/new", data={"title": "", "eligibility": "confirmed_email",
                                                  "opens_on": today.isoformat(), "closes_on": today.isoformat(),
                                                  "results_due_on": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 422
    assert "Give the consultation a title." in bad.get_data(as_text=True)
    resp = client.post("/consultations/new", data={
        "title": "Berges de la Garonne", "context": "Le **quai** change", "eligibility": "confirmed_email",
        "opens_on": today.isoformat(), "closes_on": (today + timedelta(days=7)).isoformat(),
        "results_due_on": (today - timedelta(days=1)).isoformat()})
    assert resp.status_code == 422 and "Results can only be due after" in resp.get_data(as_text=True)
    resp = client.post("/consultations/new", data={
        "title": "Berges de la Garonne", "context": "Le **quai** change <script>x</script>",
        "eligibility": "confirmed_email", "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=7)).isoformat(),
        "results_due_on": (today + timedelta(days=30)).isoformat()})
    assert resp.status_code == 302
    c = db.session.scalars(sa.select(Consultation)).one()
    assert c.status == Status.DRAFT and "<strong>quai</strong>" in c.context_html and "<script>" not in c.context_html
    assert client.get(f"/consultations/{c.id}").status_code == 200  # the author sees the draft
    publish = client.post(f"/consultations/{c.id}/manage", data={"action": "publish"})
    assert publish.status_code == 422 and "Add at least one question" in publish.get_data(as_text=True)
    bad_q = client.post(f"/consultations/{c.id}/manage", data={"action": "add_question", "q-kind": "single",
                                                               "q-prompt": "Quel usage ?", "q-choices": "Marcher"})
    assert bad_q.status_code == 422 and "at least two options" in bad_q.get_data(as_text=True)
    ok = client.post(f"/consultations/{c.id}/manage", data={"action": "add_question", "q-kind": "single",
                                                            "q-prompt": "Quel usage ?", "q-required": "y",
                                                            "q-choices": "Marcher\nPédaler"})
    assert ok.status_code == 302
    assert client.post(f"/consultations/{c.id}/manage", data={"action": "publish"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Consultation, c.id).status == Status.PUBLISHED
    client.post("/account/logout")
    assert "Berges de la Garonne" in client.get("/consultations").get_data(as_text=True)


def test_residents_cannot_create_and_drafts_stay_private(client, login, factory, make_consultation):
    draft = make_consultation(publish=False)
    login(factory.user())
    assert client.get("/consultations/new").status_code == 403
    assert client.get(f"/consultations/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/consultations/{draft.id}").status_code == 404


def test_official_of_another_district_cannot_manage(client, login, factory, make_consultation):
    d1, d2 = factory.district(), factory.district()
    c = make_consultation(district_id=d1.id)
    login(factory.user(roles=[("official", d2)]))
    assert client.get(f"/consultations/{c.id}/manage").status_code == 403


def test_closing_early_needs_a_reason_is_audited_and_computes_results(client, login, official, factory,
                                                                      make_consultation, run_jobs):
    c = make_consultation()
    factories.answer(c)
    login(official)
    resp = client.post(f"/consultations/{c.id}/manage", data={"action": "close", "close-reason": ""})
    assert resp.status_code == 422 and "Say why" in resp.get_data(as_text=True)
    resp = client.post(f"/consultations/{c.id}/manage", data={"action": "close", "close-reason": "Projet abandonné"})
    assert resp.status_code == 302
    run_jobs()
    db.session.expire_all()
    c = db.session.get(Consultation, c.id)
    assert c.status == Status.CLOSED and c.results["total"] == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "consultation.closed"))
    assert entry.reason == "Projet abandonné" and entry.actor_id == official.id


def test_follow_up_is_published_with_decisions_and_participants_and_authors_are_told(client, login, factory, official,
                                                                                    make_consultation, mails,
                                                                                    run_jobs):
    other_official = factory.user(email="autre@example.org", roles=("official",))
    earlier = services.create_consultation(other_official, title="Une consultation plus ancienne",
                                           opens_on=today(), closes_on=today(),
                                           results_due_on=today())
    c = make_consultation()
    services.answer_consultation(factory.user(email="wants@example.org"), c, form_for(c), notify=True)
    services.answer_consultation(factory.user(email="quiet@example.org"), c, form_for(c), notify=False)
    db.session.commit()
    close(c, official)
    run_jobs()
    assert [m.subject for m in mails("wants@example.org")][-1].startswith("Results published")
    assert all("Results" not in m.subject for m in mails("quiet@example.org"))
    login(official)
    url = f"/consultations/{c.id}/followup"
    assert client.post(url, data={"action": "publish"}).status_code == 422  # nothing written yet
    bad = client.post(url, data={"action": "save", "f-heard": "x", "next_steps-0-date": "demain",
                                 "next_steps-0-text": "travaux"})
    assert bad.status_code == 422 and "This is not a date" in bad.get_data(as_text=True)
    assert client.post(url, data={"action": "save", "f-heard": "Vous voulez **le dimanche**.",
                                  "next_steps-0-date": "2030-09-01", "next_steps-0-text": "Ouverture le dimanche",
                                  "next_steps-1-date": "01/01/2031", "next_steps-1-text": "Bilan"}
                       ).status_code == 302
    scale_q = next(q for q in c.questions if q.kind.value == "scale")
    assert client.post(url, data={"action": "add_decision", "d-title": "Ouverture le dimanche après-midi",
                                  "d-text": "Dès septembre.", "d-question_id": str(scale_q.id)}).status_code == 302
    decision = db.session.get(Consultation, c.id).decisions[0]
    no_reason = client.post(url, data={"action": "link", "decision_id": decision.id, "l-kind": "consultation",
                                       "l-object_id": earlier.id, "l-outcome": "partly", "l-reason": ""})
    assert no_reason.status_code == 422
    assert client.post(url, data={"action": "link", "decision_id": decision.id, "l-kind": "consultation",
                                  "l-object_id": earlier.id, "l-outcome": "partly",
                                  "l-reason": "Repris pour le samedi seulement"}).status_code == 302
    assert client.post(url, data={"action": "publish"}).status_code == 302
    run_jobs()
    db.session.expire_all()
    c = db.session.get(Consultation, c.id)
    assert c.followup_published_at is not None
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "What we heard" in page and "<strong>le dimanche</strong>" in page
    assert "Ouverture le dimanche après-midi" in page and "Partly adopted" in page
    assert "Repris pour le samedi seulement" in page and "Follow-up published on time" in page
    assert any(m.subject.startswith("What the city decided") for m in mails("wants@example.org"))
    assert not any("decided" in m.subject for m in mails("quiet@example.org"))
    [told] = [m for m in mails("autre@example.org") if "contribution" in m.subject]
    assert "Partly adopted" in told.body and "Repris pour le samedi seulement" in told.body
    # Published means final.
    assert client.post(url, data={"action": "add_decision", "d-title": "Encore"}).status_code == 409


def test_new_consultation_form_lists_districts_to_choose_from(client, login, official, factory):
    factory.district(code="T06", name="Saint-Cyprien")
    login(official)
    resp = client.get("/consultations/new")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Saint-Cyprien" in html
