"""The demo consultations load: one open, one closed with its follow-up
published on time, one closed whose follow-up is overdue."""

import sqlalchemy as sa

from civic.consultations.models import Consultation, Status
from civic.extensions import db


def test_demo_consultations_load_in_each_state_with_results(app, client):
    from civic.accounts.cli import load_accounts
    from civic.consultations.demo import load_consultations

    ctx = {}
    load_accounts(ctx)
    load_consultations(ctx)
    db.session.commit()
    libraries, banks, bikes = db.session.scalars(sa.select(Consultation).order_by(Consultation.id)).all()
    assert libraries.is_open() and libraries.results is None
    assert banks.status == bikes.status == Status.CLOSED
    assert banks.results["total"] == 57 and bikes.results["total"] == 42
    assert banks.followup_published_at is not None and bikes.followup_published_at is None
    assert "Follow-up published on time" in client.get(f"/consultations/{banks.id}").get_data(as_text=True)
    assert "Follow-up overdue by" in client.get(f"/consultations/{bikes.id}").get_data(as_text=True)
    assert client.get(f"/consultations/{banks.id}/results").status_code == 200
