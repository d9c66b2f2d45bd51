"""The electoral roll in force and who is on it (the contract verification
and the L1112-16 petitions build on)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from civic.accounts import roll
from civic.accounts.electors import identity_hash
from civic.accounts.models import ElectoralRoll, OidcIdentity, RollEntry
from civic.core.errors import PermissionDenied
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from tests.helpers import count_rows


def _anne():
    return identity_hash("DUPONT-MARTIN", "Anne Marie", date(1980, 5, 17))



def _import(admin, hashes, name="liste.csv"):
    r = roll.replace_roll(admin, [(h, "12") for h in hashes], filename=name, refused_count=1)
    db.session.commit()
    return r


def test_a_reimport_replaces_the_roll_in_force_and_keeps_the_old_one_dated(factory):
    admin, ANNE = factory.user(roles=["admin"]), _anne()
    assert roll.roll_in_force() is None
    first = _import(admin, [ANNE, "b" * 64, "b" * 64])
    assert roll.roll_in_force().id == first.id
    assert first.elector_count == 2          # a hash listed twice is one elector
    second = _import(admin, ["c" * 64], "liste-2.csv")
    assert roll.roll_in_force().id == second.id
    db.session.refresh(first)
    assert first.replaced_at is not None and first.elector_count == 2
    assert roll.on_roll(ANNE) is None                       # not on the roll in force
    assert roll.on_roll(ANNE, first) is not None            # still on the one it was
    assert count_rows(RollEntry) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "electoral_roll.import")) == 2


def test_only_admins_import_a_roll(factory):
    official = factory.user(roles=["official"])
    with pytest.raises(PermissionDenied):
        roll.replace_roll(official, [], filename="x.csv")
    assert count_rows(ElectoralRoll) == 0


def test_a_vouched_identity_on_the_roll_makes_an_elector_whatever_the_separators(factory):
    admin, anne, other = factory.user(roles=["admin"]), factory.user(), factory.user()
    ANNE = _anne()
    _import(admin, [ANNE])
    # The identity provider spells it "Dupont Martin" / "Anne-Marie".
    claims_hash = identity_hash("Dupont Martin", "Anne-Marie", "1980-05-17")
    db.session.add(OidcIdentity(user_id=anne.id, provider="franceconnect", subject_hash="s" * 64,
                                identity_hash=claims_hash, identity_verified_at=utcnow()))
    # A hash that was never vouched for (no verification date) does not count.
    db.session.add(OidcIdentity(user_id=other.id, provider="franceconnect", subject_hash="t" * 64,
                                identity_hash=ANNE, identity_verified_at=None))
    db.session.commit()
    assert roll.elector_hash(anne) == ANNE
    assert roll.elector_hash(other) is None
