"""An edition's managers may ask voters for one verification method."""

import sqlalchemy as sa

from civic.budgets.models import Ballot
from civic.extensions import db


def test_voting_can_require_the_roll_and_refuses_a_resident_verified_otherwise(client, login, budget, factory):
    b = budget.make("approval", max_choices=2)
    factory.require_verification("budget", b.edition.id, "vote", min_level=None, method="oidc_roll")
    url = f"/budgets/{b.edition.id}/vote/{b.envelope.id}"
    voter = budget.voter()  # verified in person: level 2, but not the method asked
    login(voter)
    page = client.get(url).get_data(as_text=True)
    assert "This requires a verification by “FranceConnect identity on the electoral roll”." in page
    assert "get verified from your account page" in page
    client.post(url, data={"project": [b.projects[0].id], "action": "submit"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
    factory.verify(voter, "oidc_roll")
    assert client.post(url, data={"project": [b.projects[0].id], "action": "submit"}).status_code == 302
    assert db.session.scalar(sa.select(Ballot.user_id)) == voter.id
