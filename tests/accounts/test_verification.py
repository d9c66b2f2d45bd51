"""The registry of verification methods and the per-space requirement form."""

from datetime import timedelta

import sqlalchemy as sa

from civic.accounts import verification
from civic.accounts.models import SpaceRequirement, Verification
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from tests.helpers import reload


def test_levels_methods_and_expiry_of_the_registry(app, factory):
    district = factory.district()
    census = factory.user()
    factory.verify(census, "census", district)
    in_person = factory.user(verified_in=district)
    assert verification.is_verified(census) and verification.is_verified(census, level=1)
    assert not verification.is_verified(census, level=2)
    assert verification.is_verified(in_person, level=2) and verification.is_verified(in_person, method="in_person")
    assert not verification.is_verified(in_person, method="oidc_roll")
    assert verification.current_level(census) == 1 and verification.current_level(in_person) == 2
    # A letter code expires after the method's setting (365 days by default).
    resident = factory.user()
    letter = factory.verify(resident, "postal_code")
    assert letter.level == 2 and timedelta(days=364) < letter.expires_at - utcnow() <= timedelta(days=365)
    letter.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not verification.is_verified(reload(resident), method="postal_code")
    assert verification.current_level(resident) == 0


def test_two_methods_for_one_person_keep_one_residence(app, factory):
    district = factory.district()
    u = factory.user(verified_in=district)
    factory.verify(u, "oidc_roll")
    rows = db.session.scalars(sa.select(Verification).where(Verification.user_id == u.id)).all()
    assert {r.method.value for r in rows} == {"in_person", "oidc_roll"}
    assert reload(u).active_verification.method.value == "in_person"
    assert reload(u).verified_district_id() == district.id


def test_manager_sets_a_requirement_from_the_manage_page_and_others_cannot(client, login, factory, app):
    from tests.processes import factories as procf

    admin = factory.user(roles=["admin"])
    process = procf.process(admin)
    login(admin)
    manage = client.get(f"/processes/{process.id}/manage").get_data(as_text=True)
    url = f"/account/spaces/process/{process.id}/verification"
    assert url in manage
    page = client.get(url).get_data(as_text=True)
    assert "Verification required" in page and "Supporting proposals" in page
    resp = client.post(url, data={"action": "support", "min_level": "2", "method": ""})
    assert resp.status_code == 302
    row = db.session.scalar(sa.select(SpaceRequirement))
    assert (row.kind, row.object_id, row.action, row.min_level, row.method) == ("process", process.id, "support", 2, None)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "verification.requirement"))
    assert "a verification of level 2" in client.get(url).get_data(as_text=True)
    resp = client.post(url, data={"action": "vote", "min_level": "2"})
    assert resp.status_code == 422 and "Choose an action from the list." in resp.get_data(as_text=True)
    # Neither a level nor a method: back to the space's own rules.
    assert client.post(url, data={"action": "support", "min_level": "", "method": ""}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpaceRequirement)) == 0
    client.post("/account/logout")
    login(factory.user())
    assert client.get(url).status_code == 403


def test_a_franceconnect_identity_on_the_roll_is_an_oidc_roll_verification_until_a_reimport_drops_it(app, factory):
    from datetime import date

    from civic.accounts import roll
    from civic.accounts.electors import identity_hash, subject_hash
    from civic.accounts.models import OidcIdentity

    admin, person = factory.user(roles=["admin"]), factory.user()
    anne = identity_hash("Dupont Martin", "Anne-Marie", date(1980, 3, 14))
    db.session.add(OidcIdentity(user_id=person.id, provider="fc", subject_hash=subject_hash("fc", "s1"),
                                identity_verified_at=utcnow(), identity_acr="eidas1", identity_hash=anne))
    db.session.commit()
    roll.replace_roll(admin, [(identity_hash("DUPONT-MARTIN", "Anne Marie", "1980-03-14"), "1")], filename="a.csv")
    db.session.commit()
    assert verification.is_verified(person, method="oidc_roll", level=2)
    assert roll.elector_hash(person) == anne
    roll.replace_roll(admin, [("f" * 64, "1")], filename="b.csv")
    db.session.commit()
    assert not verification.is_verified(person, method="oidc_roll")
    assert roll.elector_hash(person) is None


def test_a_deleted_account_loses_its_letter_requests_and_my_data_lists_them(client, login, factory):
    from civic.accounts import postal
    from civic.accounts.models import PostalLetter

    person = factory.user()
    db.session.add(PostalLetter(user_id=person.id, address="Léa\n1 rue X\n31000 Toulouse", requested_at=utcnow()))
    db.session.commit()
    assert postal.export_letters(person)[0]["address"].startswith("Léa")
    postal.erase_letters(person)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostalLetter)) == 0
