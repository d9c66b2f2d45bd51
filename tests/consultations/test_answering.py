"""Answering through the pages: every question type, summary, confirmation,
changing one's answers, eligibility, paper answers."""

import re

import sqlalchemy as sa

from civic.consultations.models import AnonymousResponse, ConsultationParticipation
from civic.core.models import AuditEntry
from civic.core.time import today
from civic.core.time import today as local_today
from civic.extensions import db
from tests.consultations.factories import form_for
from tests.helpers import count_rows


def test_resident_answers_every_question_type_sees_a_summary_and_gets_a_confirmation(client, login, factory,
                                                                                     make_consultation, mails):
    c = make_consultation()
    login(factory.user(email="lea@example.org"))
    page = client.get(f"/consultations/{c.id}/answer").get_data(as_text=True)
    assert page.count("<fieldset") == 4 and "<textarea" in page  # one per question; the text question is a label
    for q in c.questions:
        assert f'id="q{q.id}"' in page  # the error summary can link to every question
    data = form_for(c, single=1, multiple=(0, 2), ranking=(2, 0), scale=5, text="Open earlier")
    data["action"] = "review"
    summary = client.post(f"/consultations/{c.id}/answer", data=data)
    html = summary.get_data(as_text=True)
    assert summary.status_code == 200 and "Check your answers" in html
    assert "North" in html and "1. Workshops" in html and "2. Books" in html and "5 — Strongly agree" in html
    assert count_rows(ConsultationParticipation) == 0  # nothing recorded before confirming
    data["action"] = "confirm"
    data["notify"] = "y"
    resp = client.post(f"/consultations/{c.id}/answer", data=data)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/consultations/{c.id}/thanks")
    thanks = client.get(resp.headers["Location"]).get_data(as_text=True)
    code = re.search(r'class="edit-code"><strong>([A-Z0-9-]{19})</strong>', thanks).group(1)
    # Shown once only.
    assert code not in client.get(f"/consultations/{c.id}/thanks").get_data(as_text=True)
    [mail] = mails("lea@example.org")
    assert "Thank you for answering" in mail.subject and code not in mail.body
    [p] = db.session.scalars(sa.select(ConsultationParticipation)).all()
    assert p.notify is True
    [r] = db.session.scalars(sa.select(AnonymousResponse)).all()
    q = {x.kind.value: x for x in c.questions}
    assert r.answers[str(q["ranking"].id)]["choices"] == [q["ranking"].choices[2].id, q["ranking"].choices[0].id]
    assert r.answers[str(q["scale"].id)] == {"value": 5}


def test_missing_or_inconsistent_answers_come_back_with_the_reason_next_to_the_question(client, login, factory,
                                                                                         make_consultation):
    c = make_consultation()
    login(factory.user())
    q = {x.kind.value: x for x in c.questions}
    data = form_for(c, multiple=(0, 1, 2), ranking=(0,))
    del data[f"q{q['scale'].id}"]
    data[f"q{q['ranking'].id}_c{q['ranking'].choices[1].id}"] = "1"  # two options in place 1
    data["action"] = "review"
    resp = client.post(f"/consultations/{c.id}/answer", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "There is a problem" in html
    assert f'href="#q{q["scale"].id}"' in html and "Answer this question." in html
    assert "Choose at most 2 answers." in html
    assert "Give each place to only one option." in html
    # What was typed is kept.
    assert f'value="{q["multiple"].choices[2].id}" checked' in html
    assert count_rows(ConsultationParticipation) == 0


def test_other_answer_needs_its_text(client, login, factory, make_consultation):
    c = make_consultation()
    login(factory.user())
    data = form_for(c, other="")
    data["action"] = "review"
    resp = client.post(f"/consultations/{c.id}/answer", data=data)
    assert resp.status_code == 422
    assert "Say what your other answer is" in resp.get_data(as_text=True)


def test_answers_can_be_changed_with_the_code_kept_in_the_session_or_typed_elsewhere(app, client, login, factory,
                                                                                      make_consultation, mails):
    c = make_consultation()
    person = factory.user(email="me@example.org")
    login(person)
    data = form_for(c, scale=1)
    data["action"] = "confirm"
    client.post(f"/consultations/{c.id}/answer", data=data)
    code = re.search(r"<strong>([A-Z0-9-]{19})</strong>",
                     client.get(f"/consultations/{c.id}/thanks").get_data(as_text=True)).group(1)
    q = {x.kind.value: x for x in c.questions}
    # Same browser: the form comes back filled in with the current answers.
    page = client.get(f"/consultations/{c.id}/answer").get_data(as_text=True)
    assert "You are changing your answers" in page and f'name="q{q["scale"].id}" value="1" checked' in page
    data = form_for(c, scale=2)
    data["action"] = "confirm"
    assert client.post(f"/consultations/{c.id}/answer", data=data).status_code == 302
    assert count_rows(AnonymousResponse) == 1 and count_rows(ConsultationParticipation) == 1
    db.session.expire_all()
    assert db.session.scalars(sa.select(AnonymousResponse)).one().answers[str(q["scale"].id)] == {"value": 2}
    assert any("changed" in m.subject for m in mails("me@example.org"))

    # Another device: the code is asked for; a wrong one is refused.
    other = app.test_client()
    other.post("/account/login", data={"email": "me@example.org", "password": "correct horse battery"})
    asked = other.get(f"/consultations/{c.id}/answer").get_data(as_text=True)
    assert "enter the edit code" in asked
    wrong = other.post(f"/consultations/{c.id}/answer", data={"action": "code", "edit_code": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    assert other.post(f"/consultations/{c.id}/answer", data={"action": "code", "edit_code": code.lower()}).status_code == 302
    assert f'name="q{q["scale"].id}" value="2" checked' in other.get(f"/consultations/{c.id}/answer").get_data(as_text=True)


def test_logging_out_drops_the_edit_codes_from_the_browser(client, login, factory, make_consultation):
    c = make_consultation()
    login(factory.user())
    data = form_for(c)
    data["action"] = "confirm"
    client.post(f"/consultations/{c.id}/answer", data=data)
    with client.session_transaction() as s:
        assert s.get("consultation_codes")
    client.post("/account/logout")
    with client.session_transaction() as s:
        assert not s.get("consultation_codes")


def test_second_answer_without_the_code_is_refused_and_the_database_keeps_one_per_person(client, login, factory,
                                                                                          make_consultation):
    from civic.consultations import services
    from civic.core.errors import ValidationError

    c = make_consultation()
    person = factory.user()
    services.answer_consultation(person, c, form_for(c))
    db.session.commit()
    try:
        services.answer_consultation(person, c, form_for(c), edit_code="nope")
        raise AssertionError("a second answer was accepted")
    except ValidationError as err:
        assert "edit_code" in err.fields
    db.session.rollback()
    db.session.add(ConsultationParticipation(consultation_id=c.id, user_id=person.id,
                                             answered_on=today()))
    try:
        db.session.flush()
        raise AssertionError("the database accepted two participations")
    except sa.exc.IntegrityError:
        db.session.rollback()
    assert count_rows(AnonymousResponse) == 1


def test_only_eligible_people_may_answer(client, login, factory, make_consultation):
    d1, d2 = factory.district(code="T01"), factory.district(code="T02")
    c_email = make_consultation()
    c_res = make_consultation(eligibility="residents")
    c_dist = make_consultation(eligibility="districts", district_ids=[d1.id])
    unconfirmed = factory.user(email="new@example.org", confirmed=False)
    login(unconfirmed)
    resp = client.get(f"/consultations/{c_email.id}/answer")
    assert resp.status_code == 403 and "confirm your email" in resp.get_data(as_text=True)
    client.post("/account/logout")
    login(factory.user(email="plain@example.org"))
    assert client.get(f"/consultations/{c_email.id}/answer").status_code == 200
    assert client.get(f"/consultations/{c_res.id}/answer").status_code == 403
    client.post("/account/logout")
    login(factory.user(email="t2@example.org", verified_in=d2))
    assert client.get(f"/consultations/{c_res.id}/answer").status_code == 200
    resp = client.get(f"/consultations/{c_dist.id}/answer")
    assert resp.status_code == 403 and "District" in resp.get_data(as_text=True)
    client.post("/account/logout")
    login(factory.user(email="t1@example.org", verified_in=d1))
    data = form_for(c_dist)
    data["action"] = "confirm"
    assert client.post(f"/consultations/{c_dist.id}/answer", data=data).status_code == 302
    assert db.session.scalars(sa.select(AnonymousResponse)).one().district_id == d1.id


def test_answers_are_refused_before_opening_and_after_closing(client, login, factory, make_consultation, official):
    from datetime import timedelta

    from civic.consultations import services

    today = local_today()
    later = make_consultation(opens_on=today + timedelta(days=2), closes_on=today + timedelta(days=5))
    login(factory.user())
    assert client.get(f"/consultations/{later.id}/answer").status_code == 403
    c = make_consultation()
    services.close_consultation(official, c, "enough")
    db.session.commit()
    data = form_for(c)
    data["action"] = "confirm"
    assert client.post(f"/consultations/{c.id}/answer", data=data).status_code == 403
    assert count_rows(ConsultationParticipation) == 0


def test_mediator_enters_paper_answers_audited_and_the_person_cannot_answer_again(client, login, factory,
                                                                                 make_consultation, mails):
    c = make_consultation()
    mediator = factory.user(email="mediatrice@example.org", roles=("mediator",))
    person = factory.user(email="papier@example.org")
    d = factory.district(code="T09")
    login(factory.user(email="someone@example.org"))
    assert client.get(f"/consultations/{c.id}/paper").status_code == 403
    client.post("/account/logout")
    login(mediator)
    data = form_for(c)
    data["p-person_email"] = "papier@example.org"
    assert client.post(f"/consultations/{c.id}/paper", data=data).status_code == 302
    data = form_for(c)
    data["p-paper_reference"] = "F-0042"
    data["p-district_id"] = str(d.id)
    assert client.post(f"/consultations/{c.id}/paper", data=data).status_code == 302
    again = client.post(f"/consultations/{c.id}/paper", data=data)
    assert again.status_code == 422 and "already recorded" in again.get_data(as_text=True)
    empty = client.post(f"/consultations/{c.id}/paper", data=form_for(c))
    assert empty.status_code == 422 and "number of the paper form" in empty.get_data(as_text=True)
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "consultation.paper_response")).all()
    assert [e.actor_id for e in entries] == [mediator.id, mediator.id]
    assert entries[0].data["person"] == person.id and entries[1].data["paper_reference"] == "F-0042"
    assert count_rows(AnonymousResponse) == 2
    assert len(mails("papier@example.org")) == 1
    client.post("/account/logout")
    login(person)
    asked = client.get(f"/consultations/{c.id}/answer").get_data(as_text=True)
    assert "You have already answered" in asked


def test_questionnaire_reads_in_french(client, login, factory, make_consultation):
    c = make_consultation()
    login(factory.user(locale="fr"))
    html = client.get(f"/consultations/{c.id}/answer", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Vérifier mes réponses" in html and "Tout à fait d’accord" in html
