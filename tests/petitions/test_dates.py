"""Dates entered in the petitions' forms are local days of the site
(Europe/Paris), on either side of the autumn clock change (25 October 2026,
03:00 summer time becomes 02:00 winter time)."""

from datetime import datetime

import sqlalchemy as sa

from civic.extensions import db
from civic.petitions.models import Signature
from tests.helpers import count_rows

# 26 October 2026, 00:30 in Paris (winter time, UTC+1) is 25 October 23:30 UTC;
# 25 October 23:30 in Paris is 22:30 UTC.
LATE_ON_25 = datetime(2026, 10, 25, 22, 30)
EARLY_ON_26 = datetime(2026, 10, 25, 23, 30)


def test_the_debate_date_entered_is_the_day_shown(client, login, factory, pf):
    petition = pf.petition()
    login(factory.user(roles=["official"]))
    resp = client.post(f"/petitions/{petition.id}/debate", data={
        "debate_date": "2026-10-25", "summary": "Le conseil municipal a débattu.", "url": "", "body": ""})
    assert resp.status_code == 302
    assert "Debated on October 25, 2026." in client.get(f"/petitions/{petition.id}").get_data(as_text=True)


def test_invalidation_dates_are_local_days(client, login, factory, pf):
    petition = pf.petition()
    [on_25] = pf.signatures(petition, 1, prefix="late", created_at=LATE_ON_25)
    [on_26] = pf.signatures(petition, 1, prefix="early", created_at=EARLY_ON_26)
    login(factory.user(roles=["moderator"]))

    def preview(since, until):
        resp = client.post("/petitions/moderation/invalidate", data={
            "petition_id": petition.id, "since": since, "until": until, "action": "preview"})
        assert resp.status_code == 200
        return resp.get_data(as_text=True)

    # Signed at 00:30 on 26 October, local time: it is in "from 26 to 26 October", not in "25 to 25".
    assert "1 signature matches" in preview("2026-10-26", "2026-10-26")
    assert f"<td>{on_26}</td>" in preview("2026-10-26", "2026-10-26")
    assert f"<td>{on_25}</td>" in preview("2026-10-25", "2026-10-25")
    assert "1 signature matches" in preview("2026-10-25", "2026-10-25")


def test_a_paper_signature_may_be_dated_from_the_local_day_the_petition_opened(client, login, factory, pf):
    # Opened at 00:30 on 26 October, Paris time (still the 25th in UTC).
    petition = pf.petition(opened_at=EARLY_ON_26)
    login(factory.user(roles=["mediator"]))
    data = {"name": "Odette Garcia", "postcode": "31100", "batch": "MAIRIE-T17-01"}
    before = client.post(f"/petitions/{petition.id}/paper", data={**data, "signed_on": "2026-10-25"})
    assert before.status_code == 422 and "while the petition was open" in before.get_data(as_text=True)
    assert client.post(f"/petitions/{petition.id}/paper", data={**data, "signed_on": "2026-10-26"}).status_code == 302
    assert count_rows(Signature, Signature.source == "paper") == 1
    assert db.session.scalar(sa.select(Signature.paper_date)).isoformat() == "2026-10-26"
