"""A mediator checks a person's identity on the roll at the counter."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from civic.accounts import roll, verification
from civic.accounts.electors import identity_hash
from civic.accounts.models import Verification
from civic.core.models import AuditEntry
from civic.extensions import db


def _roll(admin):
    r = roll.replace_roll(admin, [(identity_hash("DUPONT-MARTIN", "Anne Marie", date(1980, 5, 17)), "12")],
                          filename="liste.csv")
    db.session.commit()
    return r


def test_mediator_checks_the_papers_on_the_roll_and_the_person_becomes_a_verified_elector(client, login, factory):
    admin = factory.user(roles=["admin"])
    mediator = factory.user(roles=["mediator"], name="Malik Médiateur")
    person = factory.user(name="Anne")
    _roll(admin)
    login(mediator)
    url = f"/counter/person/{person.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Check the roll" in page and "None yet." in page
    # Not on the roll (a usage name typed): refused with what to check, audited.
    resp = client.post(url, data={"action": "roll", "roll-birth_name": "LEFEVRE", "roll-given_names": "Anne Marie",
                                  "roll-birth_date": "1980-05-17", "roll-papers_seen": "y"})
    assert resp.status_code == 422
    assert "not on the electoral roll in force" in resp.get_data(as_text=True)
    assert roll.elector_hash(person) is None
    resp = client.post(url, data={"action": "roll", "roll-birth_name": "Dupont Martin",
                                  "roll-given_names": "Marie-Anne", "roll-birth_date": "1980-05-17",
                                  "roll-papers_seen": "y"})
    assert resp.status_code == 302
    assert roll.elector_hash(person) == identity_hash("DUPONT-MARTIN", "Anne Marie", date(1980, 5, 17))
    v = db.session.scalar(sa.select(Verification).where(Verification.user_id == person.id))
    assert (v.method.value, v.level, v.verified_by_id) == ("in_person", 2, mediator.id)
    assert verification.is_verified(person, level=2)
    checks = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "verification.roll_check")).all()
    assert len(checks) == 2 and all(c.actor_id == mediator.id for c in checks)
    page = client.get(url).get_data(as_text=True)
    assert "Verified elector: on the electoral roll in force." in page


def test_one_elector_cannot_verify_two_accounts_and_the_papers_box_is_required(client, login, factory):
    admin, mediator = factory.user(roles=["admin"]), factory.user(roles=["mediator"])
    first, second = factory.user(), factory.user()
    _roll(admin)
    login(mediator)
    data = {"action": "roll", "roll-birth_name": "DUPONT-MARTIN", "roll-given_names": "Anne Marie",
            "roll-birth_date": "1980-05-17"}
    resp = client.post(f"/counter/person/{first.id}", data=data)
    assert resp.status_code == 422 and "Tick to confirm you saw the papers." in resp.get_data(as_text=True)
    data["roll-papers_seen"] = "y"
    assert client.post(f"/counter/person/{first.id}", data=data).status_code == 302
    resp = client.post(f"/counter/person/{second.id}", data=data)
    assert resp.status_code == 422 and "already verified with another account" in resp.get_data(as_text=True)


def test_residents_cannot_use_the_roll_check(client, login, factory):
    person = factory.user()
    login(factory.user())
    assert client.post(f"/counter/person/{person.id}", data={"action": "roll"}).status_code == 403
