"""Account rules: roles and their scope, verification, email change, sessions."""

from datetime import date

import pytest
import sqlalchemy as sa

from civic.accounts import services
from civic.accounts.models import CensusRecord, Role, User
from civic.core.errors import PermissionDenied, RateLimited, ValidationError
from civic.core.models import AuditEntry
from civic.extensions import db
from tests.factories import PASSWORD

CSV = (
    "last_name;first_name;birth_date;postcode;district_code\n"
    "Martin;Éloïse;1984-03-27;31300;T06\n"
    "Benali;Karim;1979-11-02;31100;T17\n"
).encode()


def _audit(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_only_admins_grant_roles_and_each_grant_is_audited(factory):
    admin = factory.user(roles=["admin"])
    official = factory.user(roles=["official"])
    person = factory.user()
    with pytest.raises(PermissionDenied):
        services.grant_role(official, person, Role.MODERATOR)
    services.grant_role(admin, person, Role.MODERATOR, reason="new team member")
    db.session.commit()
    assert person.has_role(Role.MODERATOR)
    [entry] = _audit("role.granted")
    assert entry.actor_id == admin.id and entry.object_id == person.id and entry.reason == "new team member"


def test_district_limited_official_acts_only_in_that_district(factory):
    d1, d2 = factory.district(), factory.district()
    admin = factory.user(roles=["admin"])
    person = factory.user()
    services.grant_role(admin, person, Role.OFFICIAL, district_id=d1.id)
    db.session.commit()
    assert person.has_role(Role.OFFICIAL, d1.id)
    assert not person.has_role(Role.OFFICIAL, d2.id)
    assert not person.has_role(Role.OFFICIAL, None)  # city-wide needs an unlimited grant
    assert person.role_districts(Role.OFFICIAL) == {d1.id}
    assert admin.role_districts(Role.OFFICIAL) is None


def test_last_administrator_cannot_revoke_their_own_role(factory):
    admin = factory.user(roles=["admin"])
    with pytest.raises(ValidationError):
        services.revoke_role(admin, admin.roles[0].id)


def test_role_page_grants_and_revokes_with_audit(client, login, factory):
    admin = factory.user(roles=["admin"])
    person = factory.user(name="Sophie")
    login(admin)
    resp = client.post(f"/admin/users/{person.id}", data={"action": "grant", "role": "moderator",
                                                          "district_id": "", "reason": "hired"})
    assert resp.status_code == 302
    db.session.expire_all()
    grant = db.session.get(User, person.id).roles[0]
    assert grant.role == Role.MODERATOR
    client.post(f"/admin/users/{person.id}", data={"action": "revoke", "grant_id": grant.id})
    db.session.expire_all()
    assert db.session.get(User, person.id).roles == []
    assert [e.action for e in _audit("role.revoked")] == ["role.revoked"]
    page = client.get("/admin/audit?action=role.").get_data(as_text=True)
    assert "role.granted" in page and "role.revoked" in page


def test_non_admin_gets_403_on_admin_pages(client, login, factory):
    login(factory.user())
    assert client.get("/admin/users").status_code == 403


def test_census_stores_only_hashes_and_verifies_each_record_once(factory):
    factory.district(code="T06", name="Saint-Cyprien")
    factory.district(code="T17", name="Mirail")
    admin = factory.user(roles=["admin"])
    batch = services.upload_census(admin, CSV, "census.csv")
    db.session.commit()
    assert batch.record_count == 2
    stored = " ".join(r.fingerprint for r in db.session.scalars(sa.select(CensusRecord)))
    assert "Martin" not in stored and "1984" not in stored
    lea = factory.user()
    v = services.verify_with_census(lea, "MARTIN", "Eloise", date(1984, 3, 27), "31 300")
    db.session.commit()
    assert v.district.code == "T06" and lea.is_verified_for(v.district_id)
    other = factory.user()
    with pytest.raises(ValidationError, match="already been used"):
        services.verify_with_census(other, "Martin", "Éloïse", date(1984, 3, 27), "31300")


def test_census_upload_with_a_bad_row_imports_nothing_and_names_the_line(factory):
    factory.district(code="T06")
    admin = factory.user(roles=["admin"])
    with pytest.raises(ValidationError) as err:
        services.upload_census(admin, b"last_name,first_name,birth_date,postcode,district_code\nA,B,27/03/1984,1,XX\n", "c.csv")
    assert "line 2" in err.value.fields["file"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CensusRecord)) == 0


def test_census_attempts_are_rate_limited(factory):
    person = factory.user()
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.verify_with_census(person, "X", "Y", date(2000, 1, 1), "1")
    with pytest.raises(RateLimited):
        services.verify_with_census(person, "X", "Y", date(2000, 1, 1), "1")


def test_mediator_verifies_in_person_with_their_name_in_the_audit_log(client, login, factory):
    d = factory.district(name="Saint-Cyprien")
    mediator = factory.user(roles=["mediator"], name="Amina")
    person = factory.user(email="resident@example.org")
    login(mediator)
    resp = client.post("/counter/", data={"email": "resident@example.org"})
    assert resp.status_code == 302
    resp = client.post(resp.headers["Location"], data={"action": "verify", "verify-district_id": str(d.id),
                                                       "verify-papers_seen": "y", "verify-note": "ID card"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).is_verified_for(d.id)
    [entry] = _audit("verification.in_person")
    assert entry.actor_id == mediator.id and entry.reason == "ID card"
    # Revocation needs a reason and is audited too.
    resp = client.post(f"/counter/person/{person.id}", data={"action": "revoke", "revoke-reason": ""})
    assert resp.status_code == 422
    client.post(f"/counter/person/{person.id}", data={"action": "revoke", "revoke-reason": "moved away"})
    db.session.expire_all()
    assert not db.session.get(User, person.id).is_verified_for(None)
    assert _audit("verification.revoked")[0].reason == "moved away"


def test_residents_cannot_use_the_counter(client, login, factory):
    login(factory.user())
    assert client.get("/counter/").status_code == 403


def test_email_change_happens_only_when_the_new_address_confirms(client, login, mails, factory):
    user = factory.user(email="old@example.org")
    login(user)
    resp = client.post("/account/", data={"action": "email", "email-email": "new@example.org",
                                          "email-password": PASSWORD})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "old@example.org"
    [notice] = mails("old@example.org")
    assert "n***@example.org" in notice.body
    [confirm] = mails("new@example.org")
    client.post(confirm.link("/account/confirm/").replace("http://civic.test", ""))
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "new@example.org"


def test_changing_the_password_logs_out_other_sessions(app, client, login, factory):
    user = factory.user()
    other_device = app.test_client()
    login(user)
    other_device.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert other_device.get("/account/").status_code == 200
    resp = client.post("/account/", data={"action": "password", "password-current_password": PASSWORD,
                                          "password-new_password": "an entirely new one"})
    assert resp.status_code == 302
    assert client.get("/account/").status_code == 200  # this device stays logged in
    assert other_device.get("/account/").status_code == 302


def test_remember_me_sets_a_long_lived_cookie(client, factory):
    user = factory.user()
    resp = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookies = resp.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_district_admin_rejects_a_postcode_used_elsewhere(client, login, factory):
    factory.district(code="T06", postcodes=["31300"])
    login(factory.user(roles=["admin"]))
    resp = client.post("/admin/districts/new", data={"name": "Autre", "code": "T99", "postcodes": "31300, 31400"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Already in another district: 31300" in html and 'value="Autre"' in html


def test_district_for_postcode_maps_signers(factory):
    d = factory.district(postcodes=["31300"])
    assert services.district_for_postcode("31 300").id == d.id
    assert services.district_for_postcode("99999") is None
