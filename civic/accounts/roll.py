"""The electoral roll in force, and who is on it.

Shared by verification (an identity vouched for by FranceConnect, or checked
in person, matched to the roll) and by the legal petitions of CGCT L1112-16
(only electors sign; the threshold is a tenth of the roll). Civic never
holds the roll's names: each elector is the keyed hash of a normalised
identity (``civic.accounts.electors``), so a match is an equality of hashes.
"""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import ElectoralRoll, OidcIdentity, RollEntry, Verification, VerificationMethod
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


def checked_identity_hashes(user) -> list[str]:
    """Identity hashes a mediator checked on the roll at a counter (the
    person's papers seen, ``in_person`` verification still current)."""
    if not getattr(user, "is_authenticated", False):
        return []
    now = utcnow()
    return list(db.session.scalars(
        sa.select(Verification.identity_hash).where(
            Verification.user_id == user.id, Verification.method == VerificationMethod.IN_PERSON,
            Verification.identity_hash.is_not(None), Verification.revoked_at.is_(None),
            sa.or_(Verification.expires_at.is_(None), Verification.expires_at > now))))


def elector_hash(user) -> str | None:
    """The identity hash under which this person is on the roll in force, or
    None when they are not a verified elector. This is the key of "one
    elector", independent of accounts (the quarter rule of L1112-16 counts
    electors, not accounts). The identity is the one FranceConnect vouched
    for, or the one a mediator checked in person on the roll."""
    roll = roll_in_force()
    if roll is None:
        return None
    for h in vouched_identity_hashes(user) + checked_identity_hashes(user):
        if on_roll(h, roll) is not None:
            return h
    return None


def sync_oidc_roll(user=None) -> None:
    """Keep the ``oidc_roll`` verifications in line with the roll in force:
    recorded for a vouched identity found on it, revoked for one no longer
    on it (re-import). For one person at sign-in, or everyone after an import."""
    from civic.accounts import verification

    roll = roll_in_force()
    on = set()
    if roll is not None:
        on = {uid for uid, in db.session.execute(
            sa.select(OidcIdentity.user_id).select_from(OidcIdentity).join(
                RollEntry, sa.and_(RollEntry.identity_hash == OidcIdentity.identity_hash,
                                   RollEntry.roll_id == roll.id))
            .where(OidcIdentity.identity_verified_at.is_not(None),
                   *([OidcIdentity.user_id == user.id] if user is not None else [])))}
    current = set(db.session.scalars(sa.select(Verification.user_id).where(
        Verification.method == VerificationMethod.OIDC_ROLL, Verification.revoked_at.is_(None),
        *([Verification.user_id == user.id] if user is not None else []))))
    from civic.accounts.models import User

    for uid in on - current:
        verification.record(db.session.get(User, uid), VerificationMethod.OIDC_ROLL)
    if user is not None and user.id in on and user.id in current:
        verification.record(user, VerificationMethod.OIDC_ROLL)  # renewed at each sign-in
    gone = current - on
    if gone:
        db.session.execute(sa.update(Verification).where(
            Verification.method == VerificationMethod.OIDC_ROLL, Verification.revoked_at.is_(None),
            Verification.user_id.in_(gone)).values(revoked_at=utcnow(), revoke_reason="not on the roll in force"))
    db.session.flush()


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
    sync_oidc_roll()
    return roll


def check_in_person(mediator, user, *, birth_name: str, given_names: str, birth_date):
    """A mediator typed the identity on the person's papers: when it is on
    the roll in force, the person is a verified elector (``in_person``,
    level 2, the identity hash kept so :func:`elector_hash` finds it).
    Every check is audited, found or not; None when not on the roll. The place of birth is not part of
    the match: FranceConnect gives it as an INSEE code, the exports as a
    name, so the identity is birth name, given names and date of birth."""
    from flask_babel import gettext as _

    from civic.accounts import verification
    from civic.accounts.electors import identity_hash
    from civic.accounts.permissions import can_use_counter
    from civic.core.errors import ValidationError

    require(can_use_counter(mediator))
    if user.deleted_at is not None:
        raise ValidationError(_("This account has been deleted."))
    roll = roll_in_force()
    if roll is None:
        raise ValidationError(_("No electoral roll is in force: an administrator imports it first."))
    ihash = identity_hash(birth_name, given_names, birth_date)
    if ihash is None:
        raise ValidationError(fields={"birth_name": _("Enter the birth name and the given names as on the papers.")})
    entry = on_roll(ihash, roll)
    audit.record(mediator, "verification.roll_check", "user", user.id, found=entry is not None, roll_id=roll.id)
    if entry is None:
        # Not raised: the audit entry of a failed check is kept (committed).
        return None
    now = utcnow()
    other = db.session.scalar(sa.select(Verification.user_id).where(
        Verification.identity_hash == ihash, Verification.user_id != user.id, Verification.revoked_at.is_(None),
        sa.or_(Verification.expires_at.is_(None), Verification.expires_at > now)).limit(1))
    if other is not None:
        raise ValidationError(_("This elector is already verified with another account. One elector, one account: "
                                "the other verification must be revoked first."))
    return verification.record(user, VerificationMethod.IN_PERSON, verified_by=mediator, identity_hash=ihash)
