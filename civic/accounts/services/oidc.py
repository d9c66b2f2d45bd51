"""Sign-in with an OpenID Connect provider (FranceConnect or another):
finding, linking or creating the account, and unlinking it.

Only a keyed hash of the provider's subject is stored, plus the facts
derived from the claims (the identity vouched for, when, at which level,
and the keyed hash of the normalised identity used against the electoral
roll). The claims themselves are dropped once the request ends.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.accounts import roll
from civic.accounts.electors import identity_hash, subject_hash
from civic.accounts.models import OidcIdentity, User
from civic.accounts.services.identity import open_device_session
from civic.core import audit
from civic.core.emails import is_valid_email, normalise_email
from civic.core.errors import NotFound, ValidationError
from civic.core.permissions import require_login
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.extensions import db

# FranceConnect's levels (eIDAS "low", "substantial", "high"): any of them
# means the state vouched for the given names, family name and birth date.
IDENTITY_ACRS = ("eidas1", "eidas2", "eidas3")


def _display_name(claims: dict) -> str:
    # A public name: the first given name only (the person can change it).
    given = clean_text(str(claims.get("preferred_username") or claims.get("given_name") or "")).split()
    return (given[0] if given else _("Resident"))[:80]


def sign_in_with_oidc(provider: dict, claims: dict, current: User | None = None,
                      locale: str = "en") -> tuple[User, str]:
    """The account for these verified claims, and what happened
    (``"signed_in"``, ``"linked"`` or ``"created"``).

    ``claims`` come from an ID token whose signature, issuer, audience,
    expiry and nonce were checked, merged with the user-info answer.
    A known subject signs its account in; a signed-in person links the
    identity to their account; otherwise an account whose confirmed address
    is the provider's verified address is linked, or a new one is created.
    The session for the device is opened (the caller logs the user in).
    """
    name = provider["name"]
    sub = str(claims.get("sub") or "")
    if not sub:
        raise ValidationError(_("The sign-in service did not say who you are. Please try again."))
    shash = subject_hash(name, sub)
    link = db.session.scalar(sa.select(OidcIdentity).where(OidcIdentity.provider == name,
                                                           OidcIdentity.subject_hash == shash))
    outcome = "signed_in"
    if link is not None:
        user = link.user
        if current is not None and current.id != user.id:
            raise ValidationError(_("This %(provider)s identity is already linked to another account.",
                                    provider=provider["label"]))
        if user.deleted_at is not None:
            raise ValidationError(_("The account linked to this identity was deleted."))
    else:
        if current is not None:
            user, outcome = current, "linked"
            if db.session.scalar(sa.select(OidcIdentity.id).where(OidcIdentity.user_id == user.id,
                                                                  OidcIdentity.provider == name)):
                raise ValidationError(_("Your account is already linked to another %(provider)s identity. "
                                        "Unlink it first.", provider=provider["label"]))
        else:
            user, outcome = _account_for_new_identity(provider, claims, locale)
        link = OidcIdentity(user_id=user.id, provider=name, subject_hash=shash)
        db.session.add(link)
    link.last_login_at = utcnow()
    _record_identity_facts(provider, link, claims)
    db.session.flush()
    roll.sync_oidc_roll(user)
    user.last_login_at = utcnow()
    open_device_session(user)
    db.session.flush()
    audit.record(user, f"account.oidc_{outcome}", "user", user.id, provider=name)
    return user, outcome


def _trusted_email(provider: dict, claims: dict) -> str | None:
    email = normalise_email(str(claims.get("email") or ""))
    if not email or not is_valid_email(email):
        return None
    if provider.get("trust_email") or claims.get("email_verified") is True:
        return email
    return None


def _account_for_new_identity(provider: dict, claims: dict, locale: str) -> tuple[User, str]:
    email = _trusted_email(provider, claims)
    if email:
        existing = db.session.scalar(sa.select(User).where(User.email == email))
        if existing is not None:
            if existing.deleted_at is None and existing.email_confirmed:
                return existing, "linked"
            # An unconfirmed address proves nothing: the owner links from their page.
            raise ValidationError(_("An account already uses the address %(email)s. Log in with its password, "
                                    "then link %(provider)s from your account page.",
                                    email=email, provider=provider["label"]))
    user = User(email=email, email_confirmed_at=utcnow() if email else None, password_hash=None,
                display_name=_display_name(claims), locale=locale if locale in ("en", "fr") else "en")
    db.session.add(user)
    db.session.flush()
    audit.record(user, "account.registered", "user", user.id, provider=provider["name"])
    return user, "created"


def _record_identity_facts(provider: dict, link: OidcIdentity, claims: dict) -> None:
    """Keep what the claims prove, not the claims: for an identity provider
    (FranceConnect), the date and level at which the state vouched for the
    identity, and the keyed hash of the normalised identity."""
    if not provider.get("identity"):
        return
    acr = str(claims.get("acr") or "")
    if acr not in IDENTITY_ACRS:
        return
    ihash = identity_hash(claims.get("family_name"), claims.get("given_name"), claims.get("birthdate"))
    if ihash is None:
        return
    link.identity_verified_at = utcnow()
    link.identity_acr = acr
    link.identity_hash = ihash


def oidc_identities(user: User) -> list[OidcIdentity]:
    """The providers ``user`` can sign in with."""
    require_login(user)
    return list(db.session.scalars(sa.select(OidcIdentity).where(OidcIdentity.user_id == user.id)
                                   .order_by(OidcIdentity.id)))


def unlink_oidc(user: User, identity_id: int) -> str:
    """Remove a provider from ``user``'s sign-in methods; returns its name.

    Refused when it is the only way left to sign in (no password, no other
    provider): the person would be locked out of their account.
    """
    require_login(user)
    link = db.session.get(OidcIdentity, identity_id)
    if link is None or link.user_id != user.id:
        raise NotFound()
    others = db.session.scalar(sa.select(sa.func.count()).select_from(OidcIdentity).where(
        OidcIdentity.user_id == user.id, OidcIdentity.id != link.id))
    if not user.password_hash and not others:
        raise ValidationError(_("This is your only way to sign in. Set a password first "
                                "(\"I forgot my password\" sends a link to your address)."))
    provider = link.provider
    db.session.delete(link)
    db.session.flush()
    roll.sync_oidc_roll(user)
    audit.record(user, "account.oidc_unlinked", "user", user.id, provider=provider)
    return provider


def export_oidc(user: User) -> list[dict]:
    """For "my data": which providers, since when, and the facts kept."""
    return [{"provider": link.provider, "linked_at": link.created_at.isoformat() + "Z",
             "identity_verified_at": link.identity_verified_at.isoformat() + "Z" if link.identity_verified_at else None,
             "identity_level": link.identity_acr}
            for link in db.session.scalars(sa.select(OidcIdentity).where(OidcIdentity.user_id == user.id))]


def erase_oidc(user: User) -> None:
    db.session.execute(sa.delete(OidcIdentity).where(OidcIdentity.user_id == user.id))
