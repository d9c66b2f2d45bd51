"""Counting: the tally is exact with out-of-order commits, a tally killed
half-way never double-counts, the reconciliation repairs drift, thresholds
are recorded once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import permissions
from civic.petitions import tally as tally_mod
from civic.petitions.models import DistrictCount, Signature, SignatureState
from tests.helpers import capture_statements, reload


def _district_counts(petition):
    return {r.district_id: r.count for r in db.session.scalars(
        sa.select(DistrictCount).where(DistrictCount.petition_id == petition.id))}


def test_signing_never_writes_the_petition_row(client, pf, app):
    petition = pf.petition()
    resp, statements = capture_statements(lambda: client.post(
        f"/api/v1/petitions/{petition.id}/signatures",
        json={"name": "A", "email": "a@example.org", "postcode": "31000", "attest": True}))
    assert resp.status_code == 202
    request_writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert not [s for s in request_writes if "UPDATE petition " in s or "UPDATE petition\n" in s]
    assert any("INSERT INTO petition_signature" in s for s in request_writes)


def test_tally_folds_confirmed_signatures_into_totals_and_districts(pf, factory, tally):
    d1, d2 = factory.district(), factory.district()
    petition = pf.petition()
    pf.signatures(petition, 3, district=d1)
    pf.signatures(petition, 2, district=d2)
    pf.signatures(petition, 1)  # unknown postcode
    pf.signatures(petition, 4, state="pending", district=d1)
    assert tally() == 6
    petition = reload(petition)
    assert petition.signature_count == 6 and petition.tallied_at is not None
    assert _district_counts(petition) == {d1.id: 3, d2.id: 2, None: 1}
    assert tally() == 0  # nothing dirty left: a second run changes nothing
    assert reload(petition).signature_count == 6


def test_a_signature_committed_late_with_a_lower_id_is_still_counted(pf, tally):
    # Out-of-order commits: a transaction that got a lower id commits after
    # higher ids were tallied. A watermark on ids would skip it; the dirty flag does not.
    petition = pf.petition()
    [early] = pf.signatures(petition, 1, state="pending")
    pf.signatures(petition, 5)
    tally()
    assert reload(petition).signature_count == 5
    sig = db.session.get(Signature, early)
    sig.state, sig.dirty = SignatureState.VALIDATED, True
    db.session.commit()
    tally()
    assert reload(petition).signature_count == 6


def test_a_tally_killed_half_way_never_double_counts(pf, factory, tally, monkeypatch):
    d = factory.district()
    petition = pf.petition()
    pf.signatures(petition, 7, district=d)
    real = tally_mod.apply_district_deltas

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the petition and district counters are already written...
        raise RuntimeError("worker killed")  # ...when the worker dies, before the flags are set

    monkeypatch.setattr(tally_mod, "apply_district_deltas", crash)
    with pytest.raises(RuntimeError):
        tally_mod.tally_signatures()
    db.session.expire_all()
    assert reload(petition).signature_count == 0
    assert _district_counts(petition) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature).where(Signature.dirty.is_(True))) == 7
    monkeypatch.setattr(tally_mod, "apply_district_deltas", real)
    tally()
    tally()
    petition = reload(petition)
    assert petition.signature_count == 7 and _district_counts(petition) == {d.id: 7}
    assert tally_mod.reconcile_counts() == {"rows": 0, "petitions": 0, "districts": 0}


def test_a_tally_killed_between_batches_keeps_the_committed_batches_exact(pf, tally, monkeypatch):
    petition = pf.petition()
    pf.signatures(petition, 10)
    calls = {"n": 0}
    real = tally_mod.check_thresholds_for

    def crash_second_batch(ids):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        real(ids)

    monkeypatch.setattr(tally_mod, "check_thresholds_for", crash_second_batch)
    with pytest.raises(RuntimeError):
        tally_mod.tally_signatures(batch=4)
    db.session.expire_all()
    assert reload(petition).signature_count == 4  # the first batch committed whole, the second not at all
    monkeypatch.setattr(tally_mod, "check_thresholds_for", real)
    tally()
    assert reload(petition).signature_count == 10


def test_withdrawal_and_invalidation_take_signatures_off_exactly_once(pf, tally):
    petition = pf.petition()
    ids = pf.signatures(petition, 4)
    tally()
    for sid in ids[:2]:
        sig = db.session.get(Signature, sid)
        sig.state, sig.dirty = SignatureState.WITHDRAWN, True
    db.session.commit()
    tally()
    tally()
    assert reload(petition).signature_count == 2


def test_tally_cannot_run_twice_at_once(pf, app):
    from civic.core.jobs import job_lock

    petition = pf.petition()
    pf.signatures(petition, 2)
    with job_lock(tally_mod.LOCK) as got:
        assert got
        assert tally_mod.tally_signatures() == 0  # the second runner skips
    assert tally_mod.tally_signatures() == 2


def test_reconciliation_repairs_drift_and_audits_it(pf, factory, tally):
    d = factory.district()
    petition = pf.petition()
    pf.signatures(petition, 3, district=d)
    tally()
    petition.signature_count = 99  # drift from a manual edit
    db.session.execute(sa.update(DistrictCount).values(count=42))
    db.session.commit()
    repaired = tally_mod.reconcile_counts()
    assert repaired["petitions"] == 1 and repaired["districts"] == 1
    petition = reload(petition)
    assert petition.signature_count == 3 and _district_counts(petition) == {d.id: 3}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "petition.tally_repaired"))
    assert entry.data["before"] == 99 and entry.data["after"] == 3


def test_crossing_the_response_threshold_records_it_once_and_mails_officials(app, pf, factory, tally, mails,
                                                                            setting):
    setting("response_days", 30)
    official = factory.user(email="elu@example.org", roles=["official"])
    petition = pf.petition(response_threshold=5, debate_threshold=8)
    pf.signatures(petition, 4)
    tally()
    assert reload(petition).response_threshold_at is None
    pf.signatures(petition, 2)
    tally()
    petition = reload(petition)
    assert petition.response_threshold_at is not None
    assert petition.response_due_at - petition.response_threshold_at == timedelta(days=30)
    assert petition.debate_threshold_at is None
    pf.signatures(petition, 3)
    tally()
    petition = reload(petition)
    assert petition.debate_threshold_at is not None
    subjects = [m.subject for m in mails(official.email)]
    assert subjects.count("A petition has crossed a threshold") == 2
    # Owed answer appears for accountability, with its due date.
    from civic.petitions.kind import owed_answers

    with app.test_request_context():
        [owed] = owed_answers()
    assert owed["id"] == petition.id and owed["due_at"] == petition.response_due_at and owed["answered_at"] is None


def test_overdue_response_is_flagged_publicly(client, pf):
    now = utcnow()
    petition = pf.petition(response_threshold=1, signature_count=3, response_threshold_at=now - timedelta(days=70),
                           response_due_at=now - timedelta(days=10))
    html = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert "Overdue" in html
    assert client.get(f"/api/v1/petitions/{petition.id}").get_json()["response_overdue"] is True
    assert permissions.can_view_petition(None, petition)
