"""The lifecycle: draft -> sponsors -> moderation -> open -> closed, plus
rejected, hidden and removed; every transition guarded and audited."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core.errors import InvalidTransition, PermissionDenied, ValidationError
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import jobs, services
from civic.petitions.models import Petition, PetitionState, SigningPause
from tests.helpers import reload

NEW = {"title": "Installer des fontaines à eau au jardin Raymond VI",
       "background": "Aucun point d'eau potable dans le jardin, alors que les enfants y jouent tout l'été.",
       "details": "Une fontaine près des jeux.", "topic": "environment", "district_id": "",
       "decision_maker": "Mairie de quartier"}


def _actions(petition_id):
    return db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.kind == "petition", AuditEntry.object_id == petition_id).order_by(AuditEntry.id)).all()


def _sponsor(client, mails, petition, n, setting=None):
    for i in range(n):
        client.post(f"/petitions/{petition.id}/sponsor/{petition.sponsor_token}",
                    data={"name": f"Sponsor {i}", "email": f"sponsor{i}@example.org", "postcode": "31000",
                          "attest": "y"})
        [mail] = mails(f"sponsor{i}@example.org")
        client.post(mail.link("/confirm").replace("http://civic.test", ""))


def test_whole_lifecycle_in_the_browser(client, login, factory, mails, setting):
    creator = factory.user(email="lea@example.org")
    moderator = factory.user(email="mod@example.org", roles=["moderator"])
    setting("sponsors_needed", 2)
    login(creator)
    # Step 1: the preview shows similar open petitions before anything is saved.
    resp = client.post("/petitions/new", data={**NEW, "action": "preview"})
    assert resp.status_code == 200 and "Check your petition" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Petition)) == 0
    resp = client.post("/petitions/new", data={**NEW, "action": "create"})
    assert resp.status_code == 302
    petition = db.session.scalar(sa.select(Petition))
    assert petition.state == PetitionState.DRAFT and petition.creator_id == creator.id
    # A draft is not public.
    client.post("/account/logout")
    assert client.get(f"/petitions/{petition.id}").status_code == 404
    login(creator)
    assert client.post(f"/petitions/{petition.id}/submit").status_code == 302
    petition = reload(petition)
    assert petition.state == PetitionState.SPONSORS
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert f"/sponsor/{petition.sponsor_token}" in page
    client.post("/account/logout")
    _sponsor(client, mails, petition, 2)
    petition = reload(petition)
    assert petition.state == PetitionState.MODERATION and petition.moderation_at is not None
    assert any(m.subject == "A petition is waiting for moderation" for m in mails("mod@example.org"))
    login(moderator)
    queue = client.get("/petitions/moderation").get_data(as_text=True)
    assert petition.title in queue
    client.post(f"/petitions/moderation/{petition.id}", data={"action": "take"})
    resp = client.post(f"/petitions/moderation/{petition.id}", data={"decision": "approve"})
    assert resp.status_code == 302
    petition = reload(petition)
    assert petition.state == PetitionState.OPEN
    assert petition.response_threshold == 10000 and petition.debate_threshold == 100000
    assert (petition.closes_at - petition.opened_at).days == 183
    assert any(m.subject == "Your petition is published" for m in mails("lea@example.org"))
    assert any(m.subject == "Your petition is published" for m in mails("sponsor0@example.org"))
    # The scheduled job closes it when its time is up.
    petition.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert jobs.close_due_petitions() == 1
    db.session.commit()
    assert reload(petition).state == PetitionState.CLOSED
    assert _actions(petition.id) == ["petition.created", "petition.submitted", "petition.sponsored",
                                     "petition.approved", "petition.closed"]
    history = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "Published by the moderators" in history and "Closed for signatures" in history


def test_petition_text_limits_are_enforced(factory):
    user = factory.user()
    with pytest.raises(ValidationError) as err:
        services.create_petition(user, title="x" * 81, background="y" * 301, details="z" * 801)
    assert set(err.value.fields) == {"title", "background", "details"}


def test_only_a_draft_can_be_edited_and_only_by_its_creator(factory, pf):
    creator, other = factory.user(), factory.user()
    petition = pf.petition("sponsors", creator=creator)
    with pytest.raises(InvalidTransition):
        services.update_draft(creator, petition, **{**NEW, "district_id": None})
    draft = pf.petition("draft", creator=creator)
    with pytest.raises(PermissionDenied):
        services.update_draft(other, draft, **{**NEW, "district_id": None})


def test_a_petition_being_moderated_is_locked_to_one_moderator(client, login, factory, pf):
    first = factory.user(name="Sophie", roles=["moderator"])
    second = factory.user(roles=["moderator"])
    petition = pf.petition("moderation")
    services.take_for_moderation(first, petition)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="Sophie is moderating"):
        services.approve_petition(second, petition)
    db.session.rollback()
    login(second)
    page = client.get(f"/petitions/moderation/{petition.id}").get_data(as_text=True)
    assert "Sophie is moderating this petition" in page and 'value="approve"' not in page
    # The lock expires: a moderator who walked away blocks nobody for long.
    petition = reload(petition)
    petition.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    services.approve_petition(second, petition)
    db.session.commit()
    assert reload(petition).state == PetitionState.OPEN


def test_rejection_needs_a_coded_reason_and_is_public_with_it(client, login, factory, pf, mails):
    creator = factory.user(email="creator@example.org")
    moderator = factory.user(roles=["moderator"])
    petition = pf.petition("moderation", creator=creator)
    login(moderator)
    client.post(f"/petitions/moderation/{petition.id}", data={"action": "take"})
    resp = client.post(f"/petitions/moderation/{petition.id}", data={"decision": "reject", "explanation": ""})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Choose a reason from the list." in html
    resp = client.post(f"/petitions/moderation/{petition.id}", data={
        "decision": "reject", "reject_code": "outside_remit", "explanation": "C'est une compétence de l'État."})
    assert resp.status_code == 302
    assert reload(petition).state == PetitionState.REJECTED
    client.post("/account/logout")
    page = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "The city has no power to act on this" in page and "compétence de l&#39;État" in page
    [mail] = mails("creator@example.org")
    assert mail.subject == "Your petition was not published" and "compétence" in mail.body


def test_hidden_petition_is_not_shown_to_the_public(client, factory, pf):
    moderator = factory.user(roles=["moderator"])
    petition = pf.petition("moderation")
    services.hide_petition(moderator, petition, "advert", "Publicité.")
    db.session.commit()
    assert reload(petition).state == PetitionState.HIDDEN
    assert client.get(f"/petitions/{petition.id}").status_code == 404
    assert client.get(f"/api/v1/petitions/{petition.id}").status_code == 404


def test_removed_petition_answers_410_gone_with_the_reason_and_can_be_restored(client, login, factory, pf):
    moderator = factory.user(roles=["moderator"])
    petition = pf.petition()
    login(moderator)
    resp = client.post(f"/petitions/{petition.id}/remove", data={
        "code": "personal_data", "explanation": "Le texte nommait un voisin."})
    assert resp.status_code == 302
    client.post("/account/logout")
    resp = client.get(f"/petitions/{petition.id}")
    assert resp.status_code == 410
    assert "Personal data about someone" in resp.get_data(as_text=True)
    api = client.get(f"/api/v1/petitions/{petition.id}")
    assert api.status_code == 410 and api.get_json()["error"]["code"] == "gone"
    login(moderator)
    assert client.post(f"/petitions/{petition.id}/restore").status_code == 302
    assert reload(petition).state == PetitionState.OPEN
    assert "petition.restored" in _actions(petition.id)


def test_transitions_from_the_wrong_state_are_refused(factory, pf):
    moderator = factory.user(roles=["moderator"])
    creator = factory.user()
    with pytest.raises(InvalidTransition):
        services.approve_petition(moderator, pf.petition("open"))
    with pytest.raises(InvalidTransition):
        services.submit_petition(creator, pf.petition("open", creator=creator))
    with pytest.raises(InvalidTransition):
        services.remove_petition(moderator, pf.petition("draft"), "advert", "x")


def test_moderators_are_limited_to_their_district(factory, pf):
    d1, d2 = factory.district(), factory.district()
    moderator = factory.user(roles=[("moderator", d1)])
    with pytest.raises(PermissionDenied):
        services.approve_petition(moderator, pf.petition("moderation", district=d2))
    services.approve_petition(moderator, pf.petition("moderation", district=d1))


def test_pausing_signing_extends_deadlines_by_the_paused_days(pf, setting):
    petition = pf.petition()
    closes = petition.closes_at
    setting("signing_paused", True)
    jobs.close_due_petitions()
    db.session.commit()
    pause = db.session.scalar(sa.select(SigningPause))
    pause.started_at = utcnow() - timedelta(days=2, hours=3)   # paused for a bit more than two days
    petition.closes_at = utcnow() - timedelta(hours=1)          # would be due, but nothing closes during a pause
    db.session.commit()
    assert jobs.close_due_petitions() == 0
    db.session.commit()
    petition.closes_at = closes
    db.session.commit()
    setting("signing_paused", False)
    jobs.close_due_petitions()
    db.session.commit()
    assert reload(petition).closes_at == closes + timedelta(days=3)
    assert db.session.scalar(sa.select(SigningPause.extended_days)) == 3
