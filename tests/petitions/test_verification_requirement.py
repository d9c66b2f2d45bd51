"""A petition's moderators may ask signers for a verification level."""

import sqlalchemy as sa

from civic.extensions import db
from civic.petitions.models import Signature


def test_level_two_required_refuses_a_census_resident_and_accepts_an_identity_checked_one(client, login, factory, pf):
    district = factory.district()
    petition = pf.petition()
    factory.require_verification("petition", petition.id, "sign", min_level=2)
    resident = factory.user(email="census@example.org")
    factory.verify(resident, "census", district)
    login(resident)
    page = client.get(f"/petitions/{petition.id}/sign").get_data(as_text=True)
    assert "This requires a verification of level 2." in page and "You sign as" not in page
    resp = client.post(f"/petitions/{petition.id}/sign", data={"notify": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert "This requires a verification of level 2." in html
    assert "get verified from your account page" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
    client.post("/account/logout")
    checked = factory.user(email="checked@example.org", verified_in=district)
    login(checked)
    assert client.post(f"/petitions/{petition.id}/sign", data={"notify": ""}).status_code == 302
    assert db.session.scalar(sa.select(Signature.user_id)) == checked.id


def test_an_anonymous_signer_is_told_to_log_in_when_the_petition_asks_a_verification(client, pf, factory):
    petition = pf.petition()
    factory.require_verification("petition", petition.id, "sign", method="oidc_roll")
    resp = client.post(f"/petitions/{petition.id}/sign", data={
        "name": "Lea", "email": "lea@example.org", "postcode": "31000", "attest": "y"})
    assert resp.status_code == 403
    assert "FranceConnect identity on the electoral roll" in resp.get_data(as_text=True)
    assert "Log in first" in resp.get_data(as_text=True)


def test_without_requirement_a_census_resident_still_signs(client, login, factory, pf):
    petition = pf.petition()
    resident = factory.user()
    factory.verify(resident, "census", factory.district())
    login(resident)
    assert client.post(f"/petitions/{petition.id}/sign", data={"notify": ""}).status_code == 302
