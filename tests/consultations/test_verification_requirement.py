"""A consultation's managers may ask for a verification level to answer."""

from tests.consultations.factories import form_for


def test_answering_with_level_two_required_refuses_level_one_and_allows_level_two(
        client, login, factory, make_consultation):
    c = make_consultation()
    factory.require_verification("consultation", c.id, "answer", min_level=2)
    district = factory.district()
    resident = factory.user()
    factory.verify(resident, "census", district)
    login(resident)
    resp = client.get(f"/consultations/{c.id}/answer")
    assert resp.status_code == 403
    assert "This requires a verification of level 2." in resp.get_data(as_text=True)
    assert "get verified from your account page" in resp.get_data(as_text=True)
    client.post("/account/logout")
    login(factory.user(verified_in=district))
    resp = client.get(f"/consultations/{c.id}/answer")
    assert resp.status_code == 200 and "<fieldset" in resp.get_data(as_text=True)
    data = form_for(c)
    data["action"] = "confirm"
    assert client.post(f"/consultations/{c.id}/answer", data=data).status_code in (200, 302)
