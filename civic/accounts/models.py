"""Users, roles, districts and resident verification."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from civic.core.columns import enum_column
from civic.core.time import utcnow
from civic.extensions import db


class Role(enum.StrEnum):
    """Granted roles. "Resident" is everyone; "verified resident" is an active
    :class:`Verification`, not a grant, because it comes from a verifier."""

    MEDIATOR = "mediator"
    OFFICIAL = "official"
    MODERATOR = "moderator"
    ADMIN = "admin"


# Roles that may be limited to districts (admins are never limited).
SCOPED_ROLES = {Role.OFFICIAL, Role.MODERATOR, Role.MEDIATOR}


class District(db.Model):
    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    postcodes: Mapped[list[DistrictPostcode]] = relationship(
        back_populates="district", cascade="all, delete-orphan", order_by="DistrictPostcode.postcode")

    @property
    def postcode_list(self) -> list[str]:
        return [p.postcode for p in self.postcodes]


class DistrictPostcode(db.Model):
    """A postcode belongs to at most one district (used to place signers)."""

    __tablename__ = "district_postcode"
    postcode: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"), index=True)
    district: Mapped[District] = relationship(back_populates="postcodes")


class User(UserMixin, db.Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; NULL once the account is deleted.
    email: Mapped[str | None] = mapped_column(sa.String(320), unique=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    display_name: Mapped[str] = mapped_column(sa.String(80))
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Set by moderation: a blocked person can read and appeal, not contribute.
    blocked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    blocked_reason: Mapped[str | None] = mapped_column(sa.Text)

    district: Mapped[District | None] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="UserRole.user_id", lazy="selectin")

    # The token of the device this request comes from (a UserSession), set
    # at login and by the user loader; not a column.
    session_key = None  # str

    def get_id(self) -> str:
        # The login id in the session and remember cookies names the device's
        # session: deleting its row (logout, "every device", a new password)
        # makes every copy of those cookies worthless.
        return f"{self.id}:{self.session_key or ''}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_until is not None and self.blocked_until > utcnow()

    def has_role(self, role: Role | str, district_id: int | None = None) -> bool:
        """True if the person holds ``role`` (for ``district_id`` when given).

        Administrators hold every role. A grant without district covers all
        districts; a grant limited to a district covers only that one, and
        city-wide items (``district_id`` None) need an unlimited grant.
        """
        role = Role(role)
        for grant in self.roles:
            if grant.role == Role.ADMIN:
                return True
            if grant.role == role and (grant.district_id is None or grant.district_id == district_id):
                return True
        return False

    def has_any_role(self, role: Role | str) -> bool:
        role = Role(role)
        return any(g.role in (role, Role.ADMIN) for g in self.roles)

    def role_districts(self, role: Role | str) -> set[int] | None:
        """Districts where the person holds ``role``; None means everywhere."""
        role = Role(role)
        ids: set[int] = set()
        for grant in self.roles:
            if grant.role == Role.ADMIN or (grant.role == role and grant.district_id is None):
                return None
            if grant.role == role:
                ids.add(grant.district_id)
        return ids

    @property
    def is_admin(self) -> bool:
        return any(g.role == Role.ADMIN for g in self.roles)

    @property
    def active_verification(self) -> Verification | None:
        """The person's current residence verification (the one with a
        district), or None. Other methods of the registry: ``verifications``."""
        now = utcnow()
        return db.session.scalar(
            sa.select(Verification).where(Verification.user_id == self.id, Verification.revoked_at.is_(None),
                                          Verification.district_id.is_not(None),
                                          sa.or_(Verification.expires_at.is_(None), Verification.expires_at > now))
            .limit(1))

    def verified_district_id(self) -> int | None:
        v = self.active_verification
        return v.district_id if v else None

    def is_verified_for(self, district_id: int | None) -> bool:
        """Verified resident of ``district_id`` (any district when None)."""
        v = self.active_verification
        return v is not None and (district_id is None or v.district_id == district_id)


class UserSession(db.Model):
    """One signed-in device. Only a hash of its token is stored; the token
    itself is in that device's cookies."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class UserRole(db.Model):
    __tablename__ = "user_role"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    district: Mapped[District | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "district_id"),
        # NULL district means all districts; NULLs are distinct in unique
        # constraints, so the city-wide grant is unique through this index.
        sa.Index("uq_user_role_citywide", "user_id", "role", unique=True,
                 sqlite_where=sa.text("district_id IS NULL"), postgresql_where=sa.text("district_id IS NULL")),
    )


class CensusBatch(db.Model):
    """One uploaded census list. Only salted hashes of its rows are kept."""

    __tablename__ = "census_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    salt: Mapped[str] = mapped_column(sa.String(64))
    record_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class CensusRecord(db.Model):
    __tablename__ = "census_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("census_batch.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    __table_args__ = (sa.UniqueConstraint("batch_id", "fingerprint"),)


class VerificationMethod(enum.StrEnum):
    """The registry's methods (``civic.accounts.verification`` gives each its
    level and expiry setting)."""

    CENSUS = "census"  # matched to the census list of residents (level 1)
    IN_PERSON = "in_person"  # papers seen by a mediator, with or without a roll check (level 2)
    OIDC_ROLL = "oidc_roll"  # FranceConnect identity found on the electoral roll (level 2)
    POSTAL_CODE = "postal_code"  # the code of a letter sent to the person's address (level 2)


def _level_default(context) -> int:
    method = context.get_current_parameters().get("method")
    return 1 if str(getattr(method, "value", method)) == VerificationMethod.CENSUS.value else 2


class Verification(db.Model):
    """One verification of a person by one method of the registry
    (``civic.accounts.verification``): its level, when, by whom, until when.

    Level 1: a resident declared by the city's census list. Level 2: the
    identity was checked (papers seen by a mediator, FranceConnect identity
    found on the electoral roll, or the code of a letter sent to the
    address). ``district_id`` is set by the methods that prove residence in a
    district (census, in person); at most one such row is active per person
    (the person's "verified district"), and at most one row per method.
    ``identity_hash`` is the keyed identity a mediator checked on the roll.
    """

    __tablename__ = "verification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="CASCADE"))
    method: Mapped[VerificationMethod] = mapped_column(
        enum_column(VerificationMethod))
    # Default from the method, so rows made directly (demo, scripts) get the
    # registry's level: only the census list is level 1.
    # The server default (the lower level) is for the previous release's inserts during an upgrade.
    level: Mapped[int] = mapped_column(sa.Integer, default=_level_default, server_default="1")
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    census_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("census_record.id", ondelete="SET NULL"))
    identity_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)

    district: Mapped[District | None] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    # The registry's name for the date of the verification.
    verified_at = synonym("created_at")

    @property
    def is_current(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())

    __table_args__ = (
        sa.CheckConstraint("level IN (1, 2)", name="level"),
        # At most one active residence (verified district) per person...
        sa.Index("uq_verification_active", "user_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL AND district_id IS NOT NULL"),
                 postgresql_where=sa.text("revoked_at IS NULL AND district_id IS NOT NULL")),
        # ...and one active row per method.
        sa.Index("uq_verification_method", "user_id", "method", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
    )


class SpaceRequirement(db.Model):
    """What an action in one space asks of the person's verification: a
    minimum level and/or one method (``verification.requirement``). No row:
    the space's own rules only (the default)."""

    __tablename__ = "space_requirement"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(20))
    min_level: Mapped[int | None] = mapped_column(sa.Integer)
    method: Mapped[VerificationMethod | None] = mapped_column(enum_column(VerificationMethod), nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("kind", "object_id", "action"),
                      sa.CheckConstraint("min_level IS NULL OR min_level IN (1, 2)", name="min_level"))


class OidcIdentity(db.Model):
    """An account's link to an OpenID Connect provider (FranceConnect...).

    Never the provider's claims: a keyed hash of its subject (to find the
    account again), and the facts Civic derived from the claims when the
    person signed in: that the state vouched for the identity (and when),
    and the keyed hash of the normalised identity that the electoral roll
    is matched against.
    """

    __tablename__ = "oidc_identity"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(40))
    subject_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    identity_verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    identity_acr: Mapped[str | None] = mapped_column(sa.String(40))
    identity_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("provider", "subject_hash"),
        sa.UniqueConstraint("user_id", "provider"),
    )


class ElectoralRoll(db.Model):
    """One imported extract of the commune's electoral list. Only the keyed
    hashes of its electors' normalised identities are kept (RollEntry), with
    their polling station; the newest active roll is the one in force, and a
    re-import replaces it (the old one stays, dated, inactive, so a petition
    keeps the count it was opened with)."""

    __tablename__ = "electoral_roll"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    elector_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    refused_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    imported_by: Mapped[User | None] = relationship()


class RollEntry(db.Model):
    """An elector of a roll: the keyed hash of the normalised identity
    (``electors.identity_hash``: birth name, given names, birth date)."""

    __tablename__ = "roll_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(sa.ForeignKey("electoral_roll.id", ondelete="CASCADE"))
    identity_hash: Mapped[str] = mapped_column(sa.String(64))
    polling_station: Mapped[str | None] = mapped_column(sa.String(40))

    __table_args__ = (sa.UniqueConstraint("roll_id", "identity_hash"),
                      sa.Index("ix_roll_entry_identity_hash", "identity_hash"))


class PostalBatch(db.Model):
    """One PDF of letters an administrator downloaded (the codes are printed
    in it and only their hashes kept, so the PDF is made once)."""

    __tablename__ = "postal_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    letter_count: Mapped[int] = mapped_column(sa.Integer, default=0)

    created_by: Mapped[User | None] = relationship()


class PostalLetter(db.Model):
    """A resident's request for a letter with a verification code. The
    postal address is kept only until the letter is in a batch (sent); the
    code only as a keyed hash, single use, until ``expires_at``."""

    __tablename__ = "postal_letter"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    address: Mapped[str | None] = mapped_column(sa.Text)
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("postal_batch.id", ondelete="SET NULL"))
    code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    user: Mapped[User] = relationship()
