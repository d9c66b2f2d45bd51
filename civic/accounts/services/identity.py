"""People's accounts: registration and confirmation, login and device
sessions, passwords and addresses, roles, their data and its erasure.

Every function takes the actor as an argument, checks permission first,
writes audit entries and outbox rows, and flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from civic.accounts import privacy
from civic.accounts.models import (
    SCOPED_ROLES,
    District,
    Role,
    User,
    UserRole,
    UserSession,
    Verification,
)
from civic.accounts.permissions import can_manage_accounts
from civic.core import audit, consents, security
from civic.core.emails import is_valid_email, normalise_email
from civic.core.errors import NotFound, PermissionDenied, RateLimited, ValidationError
from civic.core.outbox import queue_mail
from civic.core.permissions import require, require_login
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.extensions import db

MIN_PASSWORD = 10
LOGIN_FAILURES = 5          # per account and window
LOGIN_WINDOW = 15 * 60
LOGIN_IP_FAILURES = 30      # per IP and window (many accounts from one place)
REGISTER_IP_LIMIT = 20     # accounts per network and hour
REGISTER_WINDOW = 3600
CONFIRM_MAX_AGE = 7 * 86400
RESET_MAX_AGE = 2 * 3600


# --- tokens ------------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"civic-{purpose}")


def make_token(purpose: str, data) -> str:
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age: int):
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError(_("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise ValidationError(_("This link is not valid. Check that you copied all of it.")) from None


def _check_password_strength(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(fields={field: _("Use at least %(n)d characters.", n=MIN_PASSWORD)})


# --- registration and confirmation --------------------------------------------

def register_user(email: str, password: str, display_name: str, locale: str = "en",
                  district_id: int | None = None, ip: str | None = None, consents_given=()) -> User | None:
    """Create an account and mail a confirmation link.

    If the address already has an account, nothing is created and the owner
    is mailed instead (at most once a day): the page says the same thing
    either way, so the form cannot be used to find out who has an account.
    One network may create at most ``REGISTER_IP_LIMIT`` accounts an hour
    (a town-hall counter stays well below it; a script does not).
    ``consents_given``: the keys of the registered consents the person ticked
    (``civic.core.consents``), recorded with the wording they saw.
    """
    email = normalise_email(email)
    errors = {}
    if not is_valid_email(email):
        errors["email"] = _("Enter an email address like name@example.org.")
    name = clean_text(display_name)
    if not name:
        errors["display_name"] = _("Enter the name other people will see.")
    elif len(name) > 80:
        errors["display_name"] = _("Use at most %(n)d characters.", n=80)
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = _("Use at least %(n)d characters.", n=MIN_PASSWORD)
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    known = {c.key for c in consents.specs()}
    if any(k not in known for k in consents_given):
        errors["consent"] = _("Choose among the options shown.")
    if errors:
        raise ValidationError(fields=errors)
    if ip:
        allowed, retry = security.hit(f"register-ip:{ip}", REGISTER_IP_LIMIT, REGISTER_WINDOW)
        if not allowed:
            raise RateLimited(_("Too many accounts were created from this network in the last hour. "
                                "Please try again later."), retry_after=retry)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None:
        # The owner hears of it once a day at most, however often it is tried.
        if not security.hit(f"register-notice:{email}", 1, 86400)[0]:
            return None
        queue_mail(email, lambda: _("Someone tried to create an account with your address"),
                   "accounts/already_registered", {"user": existing,
                                                   "reset_url": absolute_url("accounts.forgot_password")},
                   user=existing)
        return None
    user = User(email=email, password_hash=generate_password_hash(password), display_name=name,
                locale=locale if locale in ("en", "fr") else "en", district_id=district_id)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "account.registered", "user", user.id)
    for key in sorted(set(consents_given)):
        consents.give(user, key)
    _send_confirmation(user, email)
    return user


def _send_confirmation(user: User, email: str) -> None:
    token = make_token("confirm", {"u": user.id, "e": email})
    queue_mail(email, lambda: _("Confirm your email address"), "accounts/confirm",
               {"user": user, "url": absolute_url("accounts.confirm", token=token)}, user=user)


def resend_confirmation(user: User) -> None:
    require_login(user)
    if user.email_confirmed:
        return
    allowed, retry = security.hit(f"resend-confirm:{user.id}", 5, 3600)
    if not allowed:
        raise RateLimited(retry_after=retry)
    _send_confirmation(user, user.email)


def confirm_email(token: str) -> User:
    """Confirm the address in the token (registration or change of address)."""
    data = read_token("confirm", token, CONFIRM_MAX_AGE)
    user = db.session.get(User, data.get("u"))
    if user is None or user.deleted_at is not None:
        raise ValidationError(_("This link is not valid. Check that you copied all of it."))
    email = data.get("e")
    if user.email != email:
        taken = db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id))
        if taken:
            raise ValidationError(_("This address is already used by another account."))
        old = user.email
        user.email = email
        audit.record(user, "account.email_changed", "user", user.id, old=_mask(old), new=_mask(email))
    if user.email_confirmed_at is None or user.email == email:
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
        audit.record(user, "account.email_confirmed", "user", user.id)
    db.session.flush()
    return user


def _mask(email: str | None) -> str | None:
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


# --- login -------------------------------------------------------------------

def _login_key(email: str) -> str:
    return "login:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def authenticate(email: str, password: str, ip: str) -> User:
    """Check credentials with throttling per account and per IP.

    The same message is given for an unknown address and a wrong password.
    Throttled attempts are refused before the password is checked.
    """
    email = normalise_email(email)
    key, ip_key = _login_key(email), f"login-ip:{ip}"
    if security.peek(key, LOGIN_WINDOW) >= LOGIN_FAILURES or security.peek(ip_key, LOGIN_WINDOW) >= LOGIN_IP_FAILURES:
        raise RateLimited(_("Too many failed attempts. For your security, wait 15 minutes or reset your password."),
                          retry_after=LOGIN_WINDOW)
    user = db.session.scalar(sa.select(User).where(User.email == email, User.deleted_at.is_(None)))
    ok = user is not None and user.password_hash and check_password_hash(user.password_hash, password or "")
    if not ok:
        if user is None:
            # Spend the same time as a real check, so timing does not tell either.
            check_password_hash(_DUMMY_HASH, password or "")
        security.hit(key, 10**9, LOGIN_WINDOW)
        security.hit(ip_key, 10**9, LOGIN_WINDOW)
        raise ValidationError(_("Email address or password is incorrect."), fields={
            "password": _("Email address or password is incorrect.")})
    security.reset(key, LOGIN_WINDOW)
    user.last_login_at = utcnow()
    _open_session(user)
    db.session.flush()
    return user


# --- device sessions -------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _open_session(user: User) -> None:
    token = secrets.token_urlsafe(24)
    db.session.add(UserSession(user_id=user.id, token_hash=_token_hash(token)))
    user.session_key = token


def open_device_session(user: User) -> None:
    """Open a session for the device signing in (for sign-in without a
    password: OpenID Connect)."""
    _open_session(user)


def user_for_session(user_id: str) -> User | None:
    """The person a login id (``"<id>:<device token>"`` from a session or
    remember cookie) belongs to, if that device's session is still open."""
    uid, _sep, token = (user_id or "").partition(":")
    if not uid.isdigit() or int(uid) > 2**31 - 1 or not token:
        return None
    user = db.session.scalar(sa.select(User).join(UserSession, UserSession.user_id == User.id).where(
        User.id == int(uid), User.deleted_at.is_(None), UserSession.token_hash == _token_hash(token)))
    if user is not None:
        user.session_key = token
    return user


def open_sessions(user: User) -> int:
    """How many devices ``user`` is signed in on."""
    require_login(user)
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def _close_sessions(user: User, keep_current: bool = False) -> None:
    stmt = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_current and user.session_key:
        stmt = stmt.where(UserSession.token_hash != _token_hash(user.session_key))
    db.session.execute(stmt)


def log_out(user: User) -> None:
    """End the session of this device: copies of its cookies stop working."""
    require_login(user)
    if user.session_key:
        db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.token_hash == _token_hash(user.session_key)))
    db.session.flush()


def log_out_everywhere(user: User) -> None:
    """End the sessions of every device, this one included (a lost phone, a
    shared computer)."""
    require_login(user)
    _close_sessions(user)
    audit.record(user, "account.logged_out_everywhere", "user", user.id)
    db.session.flush()


_DUMMY_HASH = generate_password_hash("civic-timing-equaliser")


# --- password reset and changes ------------------------------------------------

def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; silent otherwise."""
    email = normalise_email(email)
    allowed, _retry = security.hit(f"reset:{hashlib.sha256(email.encode()).hexdigest()[:32]}", 5, 3600)
    user = db.session.scalar(sa.select(User).where(User.email == email, User.deleted_at.is_(None)))
    if user is None or not allowed:
        return
    # The token embeds part of the current hash: once the password changes,
    # the link stops working (single use).
    token = make_token("reset", {"u": user.id, "h": (user.password_hash or "")[-16:]})
    queue_mail(email, lambda: _("Reset your password"), "accounts/reset",
               {"user": user, "url": absolute_url("accounts.reset_password", token=token)}, user=user)


def reset_password(token: str, new_password: str) -> User:
    data = read_token("reset", token, RESET_MAX_AGE)
    user = db.session.get(User, data.get("u"))
    if user is None or user.deleted_at is not None or (user.password_hash or "")[-16:] != data.get("h"):
        raise ValidationError(_("This link has already been used or is no longer valid. Ask for a new one."))
    _check_password_strength(new_password)
    user.password_hash = generate_password_hash(new_password)
    _close_sessions(user)
    # Receiving the link proves the person reads this mailbox.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    security.reset(_login_key(user.email), LOGIN_WINDOW)
    audit.record(user, "account.password_reset", "user", user.id)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    require_login(user)
    if not check_password_hash(user.password_hash or "", current or ""):
        raise ValidationError(fields={"current_password": _("This is not your current password.")})
    _check_password_strength(new, "new_password")
    user.password_hash = generate_password_hash(new)
    _close_sessions(user, keep_current=True)  # every other device must log in again
    audit.record(user, "account.password_changed", "user", user.id)
    db.session.flush()


def request_email_change(user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; the change happens on confirmation."""
    require_login(user)
    new_email = normalise_email(new_email)
    if not is_valid_email(new_email):
        raise ValidationError(fields={"email": _("Enter an email address like name@example.org.")})
    if not check_password_hash(user.password_hash or "", password or ""):
        raise ValidationError(fields={"password": _("This is not your current password.")})
    if new_email == user.email:
        raise ValidationError(fields={"email": _("This is already your address.")})
    if db.session.scalar(sa.select(User.id).where(User.email == new_email)):
        # Do not reveal that another account has it; tell that address's owner.
        return
    token = make_token("confirm", {"u": user.id, "e": new_email})
    queue_mail(new_email, lambda: _("Confirm your new email address"), "accounts/change_email",
               {"user": user, "url": absolute_url("accounts.confirm", token=token)}, user=user)
    queue_mail(user.email, lambda: _("A change of email address was requested"), "accounts/change_email_notice",
               {"user": user, "new": _mask(new_email)}, user=user)
    audit.record(user, "account.email_change_requested", "user", user.id)


def update_profile(user: User, display_name: str, locale: str, district_id: int | None) -> None:
    require_login(user)
    name = clean_text(display_name)
    errors = {}
    if not name:
        errors["display_name"] = _("Enter the name other people will see.")
    elif len(name) > 80:
        errors["display_name"] = _("Use at most %(n)d characters.", n=80)
    if locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = _("Choose a language from the list.")
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    if errors:
        raise ValidationError(fields=errors)
    user.display_name, user.locale, user.district_id = name, locale, district_id
    db.session.flush()


# --- roles -------------------------------------------------------------------

def grant_role(actor: User, user: User, role: Role | str, district_id: int | None = None, reason: str = "") -> UserRole:
    """Grant ``role`` to ``user``, optionally limited to one district (admins only)."""
    require_login(actor)
    require(can_manage_accounts(actor))
    role = Role(role)
    if role not in SCOPED_ROLES:
        district_id = None
    if district_id is not None and db.session.get(District, district_id) is None:
        raise ValidationError(fields={"district_id": _("Choose a district from the list.")})
    if user.deleted_at is not None:
        raise ValidationError(_("This account has been deleted."))
    existing = db.session.scalar(sa.select(UserRole).where(
        UserRole.user_id == user.id, UserRole.role == role,
        UserRole.district_id.is_(None) if district_id is None else UserRole.district_id == district_id))
    if existing:
        return existing
    grant = UserRole(user_id=user.id, role=role, district_id=district_id, granted_by_id=actor.id)
    db.session.add(grant)
    db.session.flush()
    db.session.refresh(user, ["roles"])
    audit.record(actor, "role.granted", "user", user.id, reason=clean_text(reason) or None,
                 role=role.value, district_id=district_id)
    return grant


def revoke_role(actor: User, grant_id: int, reason: str = "") -> None:
    require_login(actor)
    require(can_manage_accounts(actor))
    grant = db.session.get(UserRole, grant_id)
    if grant is None:
        raise NotFound()
    if grant.role == Role.ADMIN and grant.user_id == actor.id:
        admins = db.session.scalar(sa.select(sa.func.count()).select_from(UserRole).where(UserRole.role == Role.ADMIN))
        if admins <= 1:
            raise ValidationError(_("You are the last administrator: grant the role to someone else first."))
    user_id, role, district_id = grant.user_id, grant.role, grant.district_id
    db.session.delete(grant)
    db.session.flush()
    audit.record(actor, "role.revoked", "user", user_id, reason=clean_text(reason) or None,
                 role=role.value, district_id=district_id)


# --- my data --------------------------------------------------------------------

def export_personal_data(user: User) -> dict:
    """Everything the platform holds about ``user``, as JSON-ready data."""
    require_login(user)
    v = user.active_verification
    data = {
        "account": {
            "id": user.id, "email": user.email, "display_name": user.display_name, "locale": user.locale,
            "district": user.district.name if user.district else None,
            "created_at": user.created_at.isoformat() + "Z",
            "email_confirmed_at": user.email_confirmed_at.isoformat() + "Z" if user.email_confirmed_at else None,
            "last_login_at": user.last_login_at.isoformat() + "Z" if user.last_login_at else None,
            "roles": [{"role": g.role.value, "district": g.district.name if g.district else None} for g in user.roles],
            "blocked_until": user.blocked_until.isoformat() + "Z" if user.is_blocked else None,
        },
        "verification": {"district": v.district.name, "method": v.method.value,
                         "since": v.created_at.isoformat() + "Z"} if v else None,
        "audit_log": [
            {"at": e.created_at.isoformat() + "Z", "action": e.action}
            for e in db.session.scalars(sa.select(audit.AuditEntry).where(
                audit.AuditEntry.actor_id == user.id).order_by(audit.AuditEntry.id)).all()
        ],
    }
    for name, fn in privacy.exporters().items():
        data[name] = fn(user)
    return data


def delete_account(user: User, password: str) -> None:
    """Erase personal data; contributions stay, shown as from a deleted account."""
    require_login(user)
    # An account created through FranceConnect has no password: being signed in is the proof.
    if user.password_hash and not check_password_hash(user.password_hash, password or ""):
        raise ValidationError(fields={"password": _("This is not your current password.")})
    if user.is_admin:
        admins = db.session.scalar(sa.select(sa.func.count()).select_from(UserRole).where(UserRole.role == Role.ADMIN))
        if admins <= 1:
            raise PermissionDenied(_("You are the last administrator: grant the role to someone else first."))
    for fn in privacy.erasers():
        fn(user)
    user.email = None
    user.password_hash = None
    user.display_name = "—"
    user.district_id = None
    user.email_confirmed_at = None
    user.deleted_at = utcnow()
    _close_sessions(user)
    user.roles.clear()
    db.session.execute(sa.update(Verification).where(Verification.user_id == user.id, Verification.revoked_at.is_(None))
                       .values(revoked_at=utcnow(), revoke_reason="account deleted"))
    db.session.flush()
    audit.record(user, "account.deleted", "user", user.id)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None)))


def set_locale(user: User, locale: str) -> None:
    """Remember the language chosen with the switcher."""
    require_login(user)
    if locale in current_app.config["LANGUAGES"] and user.locale != locale:
        user.locale = locale
        db.session.flush()


def set_consent(user: User, key: str, given: bool) -> None:
    """Give or withdraw one of the registered consents (``civic.core.consents``)
    from the account page; the consent keeps the wording the person saw."""
    require_login(user)
    if key not in {c.key for c in consents.specs()}:
        raise NotFound()
    if given:
        consents.give(user, key)
    else:
        consents.withdraw(user, key, via="account")
    audit.record(user, "consent.given" if given else "consent.withdrawn", "user", user.id, consent=key)
