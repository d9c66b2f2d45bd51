"""Factories: build rows directly for test set-up (tests of behaviour go
through services and views)."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from civic.accounts.models import District, DistrictPostcode, Role, User, UserRole, Verification, VerificationMethod
from civic.core.time import utcnow
from civic.extensions import db

PASSWORD = "correct horse battery"
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # fast in tests
_seq = itertools.count(1)


def district(code: str | None = None, name: str | None = None, postcodes=()) -> District:
    n = next(_seq)
    d = District(code=code or f"D{n}", name=name or f"District {n}",
                 postcodes=[DistrictPostcode(postcode=p) for p in postcodes])
    db.session.add(d)
    db.session.commit()
    return d


def user(email: str | None = None, name: str | None = None, *, roles=(), confirmed: bool = True,
         verified_in: District | None = None, locale: str = "en", district_id: int | None = None) -> User:
    n = next(_seq)
    u = User(email=email or f"person{n}@example.org", display_name=name or f"Person {n}", password_hash=_HASH,
             locale=locale, email_confirmed_at=utcnow() if confirmed else None, district_id=district_id)
    db.session.add(u)
    db.session.flush()
    for r in roles:
        role, dist = r if isinstance(r, tuple) else (r, None)  # "official" or ("official", district)
        db.session.add(UserRole(user_id=u.id, role=Role(role), district_id=getattr(dist, "id", dist)))
    if verified_in is not None:
        db.session.add(Verification(user_id=u.id, district_id=verified_in.id, method=VerificationMethod.IN_PERSON))
    db.session.commit()
    db.session.refresh(u)
    return u
