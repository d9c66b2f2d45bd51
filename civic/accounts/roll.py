"""The electoral roll in force, and who is on it.

Shared by verification (an identity vouched for by FranceConnect, or checked
in person, matched to the roll) and by the legal petitions of CGCT L1112-16
(only electors sign; the threshold is a tenth of the roll). Civic never
holds the roll's names: each elector is the keyed hash of a normalised
identity (``civic.accounts.electors``), so a match is an equality of hashes.
"""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import ElectoralRoll, OidcIdentity, RollEntry
from civic.accounts.permissions import can_manage_accounts
from civic.core import audit
from civic.core.permissions import require
from civic.core.time import utcnow
from civic.extensions import db


def roll_in_force() -> ElectoralRoll | None:
    """The newest roll not replaced, or None before any import."""
    return db.session.scalar(sa.select(ElectoralRoll).where(ElectoralRoll.replaced_at.is_(None))
                             .order_by(ElectoralRoll.imported_at.desc(), ElectoralRoll.id.desc()).limit(1))


def on_roll(identity_hash: str | None, roll: ElectoralRoll | None = None) -> RollEntry | None:
    """The roll entry with this identity hash in ``roll`` (default: the roll
    in force), or None."""
    roll = roll or roll_in_force()
    if roll is None or not identity_hash:
        return None
    return db.session.scalar(sa.select(RollEntry).where(RollEntry.roll_id == roll.id,
                                                        RollEntry.identity_hash == identity_hash))


def vouched_identity_hashes(user) -> list[str]:
    """Identity hashes the state vouched for when this person signed in with
    an identity provider (FranceConnect), newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        sa.select(OidcIdentity.identity_hash).where(OidcIdentity.user_id == user.id,
                                                    OidcIdentity.identity_hash.is_not(None),
                                                    OidcIdentity.identity_verified_at.is_not(None))
        .order_by(OidcIdentity.identity_verified_at.desc())))


def elector_hash(user) -> str | None:
    """The identity hash under which this person is on the roll in force, or
    None when they are not a verified elector. This is the key of "one
    elector", independent of accounts (the quarter rule of L1112-16 counts
    electors, not accounts)."""
    roll = roll_in_force()
    if roll is None:
        return None
    for h in vouched_identity_hashes(user):
        if on_roll(h, roll) is not None:
            return h
    return None


def replace_roll(actor, entries, *, filename: str, refused_count: int = 0) -> ElectoralRoll:
    """Put a new roll in force. ``entries`` yields ``(identity_hash,
    polling_station)``; a hash seen twice counts once. The previous roll is
    dated as replaced, not deleted: petitions opened under it keep its count."""
    require(can_manage_accounts(actor))
    now = utcnow()
    db.session.execute(sa.update(ElectoralRoll).where(ElectoralRoll.replaced_at.is_(None)).values(replaced_at=now))
    roll = ElectoralRoll(filename=filename[:200], imported_by_id=actor.id, imported_at=now,
                         refused_count=refused_count)
    db.session.add(roll)
    db.session.flush()
    seen: set[str] = set()
    batch: list[dict] = []
    for identity_hash, station in entries:
        if identity_hash in seen:
            continue
        seen.add(identity_hash)
        batch.append({"roll_id": roll.id, "identity_hash": identity_hash, "polling_station": station})
        if len(batch) >= 5000:
            db.session.execute(sa.insert(RollEntry), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(RollEntry), batch)
    roll.elector_count = len(seen)
    audit.record(actor, "electoral_roll.import", "electoral_roll", roll.id,
                 electors=roll.elector_count, refused=refused_count)
    db.session.flush()
    return roll
