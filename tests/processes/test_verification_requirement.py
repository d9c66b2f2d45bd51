"""A process's managers may ask supporters for a verification level."""

import sqlalchemy as sa

from civic.extensions import db
from civic.processes.models import Support


def test_level_two_required_for_supporting_refuses_level_one_with_how_to_and_allows_level_two(
        client, login, factory, make_process, make_proposal):
    process = make_process()
    p = make_proposal(process)
    factory.require_verification("process", process.id, "support", min_level=2)
    district = factory.district()
    resident = factory.user()
    factory.verify(resident, "census", district)
    login(resident)
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "This requires a verification of level 2." in page
    resp = client.post(f"/proposals/{p.id}/support", data={}, follow_redirects=True)
    assert "get verified from your account page" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Support)) == 0
    client.post("/account/logout")
    checked = factory.user(verified_in=district)
    login(checked)
    assert client.post(f"/proposals/{p.id}/support", data={}).status_code == 302
    assert db.session.scalar(sa.select(Support.user_id)) == checked.id
