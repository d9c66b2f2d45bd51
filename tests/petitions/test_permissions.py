"""Who may do what (civic/petitions/permissions.py): the services refuse an
actor without the role, and the pages show an action exactly to those the
service accepts."""

from unittest.mock import MagicMock

import pytest

from civic.core.errors import PermissionDenied
from civic.petitions import permissions, services

MODERATOR_SERVICES = [services.take_for_moderation, services.release_moderation, services.approve_petition,
                      services.restore_petition]
CODED_SERVICES = [services.reject_petition, services.hide_petition, services.remove_petition]


def test_role_services_refuse_a_resident_without_the_role(factory, pf):
    resident = factory.user()
    petition = pf.petition("moderation")
    for fn in MODERATOR_SERVICES:
        with pytest.raises(PermissionDenied):
            fn(resident, petition)
    for fn in CODED_SERVICES:
        with pytest.raises(PermissionDenied):
            fn(resident, petition, "advert", "Publicité.")
    with pytest.raises(PermissionDenied):
        services.moderation_queue(resident)
    for fn in (services.preview_invalidation, services.start_invalidation):
        with pytest.raises(PermissionDenied):
            fn(resident, {"petition_id": petition.id}, *(["Robots"] if fn is services.start_invalidation else []))
    open_p = pf.petition()
    with pytest.raises(PermissionDenied):
        services.publish_response(resident, open_p, summary="x", body="x", decision="accepted")
    with pytest.raises(PermissionDenied):
        services.publish_debate(resident, open_p, debate_date=None, summary="x", url="")
    with pytest.raises(PermissionDenied):
        services.record_paper_signature(resident, open_p, name="x", postcode="31000", signed_on=None, batch="b")


def test_only_the_creator_changes_submits_and_writes_to_signers(factory, pf):
    creator, other = factory.user(), factory.user()
    draft, open_p = pf.petition("draft", creator=creator), pf.petition(creator=creator)
    with pytest.raises(PermissionDenied):
        services.update_draft(other, draft, title="Autre", background="Autre chose.", details="", topic="other",
                              district_id=None, decision_maker=None)
    with pytest.raises(PermissionDenied):
        services.submit_petition(other, draft)
    with pytest.raises(PermissionDenied):
        services.post_update(other, open_p, title="Nouvelles", body="Du nouveau.")
    services.submit_petition(creator, draft)


def test_a_blocked_creator_is_told_why():
    blocked = MagicMock(is_authenticated=True, id=7, is_blocked=True, email_confirmed=True)
    petition = MagicMock(creator_id=7)
    refusal = permissions.can_edit_petition(blocked, petition)
    assert not refusal and "blocked" in refusal.message
    assert permissions.is_creator(blocked, petition)


def test_officials_see_and_use_the_response_only_in_their_district(client, login, factory, pf):
    d1, d2 = factory.district(), factory.district()
    petition = pf.petition(district=d1)
    login(factory.user(roles=[("official", d2)]))
    assert "Publish the official response" not in client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert client.get(f"/petitions/{petition.id}/respond").status_code == 403
    client.post("/account/logout")
    login(factory.user(roles=[("official", d1)]))
    assert "Publish the official response" in client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert client.get(f"/petitions/{petition.id}/respond").status_code == 200


def test_the_invalidation_tool_is_offered_to_city_wide_moderators_only(client, login, factory, pf):
    district = factory.district()
    petition = pf.petition(district=district)
    login(factory.user(roles=[("moderator", district)]))
    html = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "Remove this petition" in html and "Invalidate signatures" not in html
    assert "Invalidate signatures" not in client.get("/petitions/moderation").get_data(as_text=True)
    assert client.get("/petitions/moderation/invalidate").status_code == 403
    client.post("/account/logout")
    login(factory.user(roles=["moderator"]))
    html = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "Remove this petition" in html and "Invalidate signatures" in html
    assert client.get("/petitions/moderation/invalidate").status_code == 200
