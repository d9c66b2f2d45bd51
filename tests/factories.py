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


def verify(u: User, method: str = "census", district: District | None = None, **kw) -> Verification:
    """A current verification of ``u`` by ``method`` (level from the registry)."""
    from civic.accounts import verification

    v = verification.record(u, method, district_id=getattr(district, "id", None), **kw)
    db.session.commit()
    return v


def require_verification(kind: str, object_id: int, action: str, *, min_level: int | None = 2,
                         method: str | None = None) -> None:
    """Put a verification requirement on an action of a space (as its manager would)."""
    from civic.accounts.models import SpaceRequirement

    db.session.add(SpaceRequirement(kind=kind, object_id=object_id, action=action, min_level=min_level,
                                    method=VerificationMethod(method) if method else None))
    db.session.commit()
