"""The registry of verification methods, and what a space asks of them.

Every method records :class:`~civic.accounts.models.Verification` rows
(user, method, level, verified_at, expires_at, verified_by). Two levels:

* **1 — resident**: the person is on the city's census list of residents
  (they typed details that match it; nobody saw a paper).
* **2 — identity checked**: a mediator saw their papers at a counter
  (``in_person``, with or without a check of the electoral roll), the state
  vouched for their identity through FranceConnect and it is on the
  electoral roll (``oidc_roll``), or they typed the code of a letter sent to
  their postal address (``postal_code``).

A method's verifications expire after the number of days of its setting
(``verification.<method>_days``, 0 = never). Domains ask :func:`is_verified`
or, for the per-space rule an administrator set on the space's manage page,
:func:`requirement_refusal` (kind, object, action).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts.models import SpaceRequirement, Verification, VerificationMethod
from civic.core import audit
from civic.core.content import get_kind, hook
from civic.core.errors import ValidationError
from civic.core.permissions import Refusal, is_admin, is_user, require
from civic.core.settings import SettingSpec, get_setting, register_setting
from civic.core.time import utcnow
from civic.extensions import db

LEVEL_RESIDENT = 1
LEVEL_IDENTITY = 2


@dataclass(frozen=True)
class Method:
    name: VerificationMethod
    level: int
    label: object  # lazy string
    default_days: int


METHODS: dict[str, Method] = {m.name.value: m for m in (
    Method(VerificationMethod.CENSUS, LEVEL_RESIDENT, _l("Census list of residents"), 0),
    Method(VerificationMethod.IN_PERSON, LEVEL_IDENTITY, _l("In person with a mediator"), 0),
    Method(VerificationMethod.OIDC_ROLL, LEVEL_IDENTITY, _l("FranceConnect identity on the electoral roll"), 0),
    Method(VerificationMethod.POSTAL_CODE, LEVEL_IDENTITY, _l("Code of a letter sent to the address"), 365),
)}

LEVEL_LABELS = {LEVEL_RESIDENT: _l("Level 1: resident (census list)"),
                LEVEL_IDENTITY: _l("Level 2: identity checked (in person, FranceConnect on the roll, letter)")}

# The actions a space can put a requirement on (the domains wire the check).
ACTIONS = {"sign": _l("Signing"), "support": _l("Supporting proposals"), "vote": _l("Voting"),
           "answer": _l("Answering")}


def register_settings() -> None:
    for m in METHODS.values():
        register_setting(SettingSpec(
            f"verification.{m.name.value}_days", m.default_days, int,
            label=lambda m=m: _("Verification by “%(method)s”: valid for (days, 0 = no expiry)", method=m.label),
            minimum=0, maximum=3650))


def level_of(method: VerificationMethod | str) -> int:
    return METHODS[str(VerificationMethod(method).value)].level


def expiry_for(method: VerificationMethod | str, start=None):
    """When a verification by ``method`` made at ``start`` expires (None: never)."""
    days = get_setting(f"verification.{VerificationMethod(method).value}_days")
    return (start or utcnow()) + timedelta(days=days) if days else None


def _current():
    now = utcnow()
    return sa.and_(Verification.revoked_at.is_(None),
                   sa.or_(Verification.expires_at.is_(None), Verification.expires_at > now))


def verifications(user) -> list[Verification]:
    """The person's current verifications, highest level first."""
    if not is_user(user):
        return []
    return list(db.session.scalars(sa.select(Verification).where(Verification.user_id == user.id, _current())
                                   .order_by(Verification.level.desc(), Verification.created_at.desc())))


def is_verified(user, method: VerificationMethod | str | None = None, level: int | None = None) -> bool:
    """Whether ``user`` has a current verification by ``method`` (any when
    None) of at least ``level`` (any when None)."""
    if not is_user(user):
        return False
    stmt = sa.select(Verification.id).where(Verification.user_id == user.id, _current())
    if method is not None:
        stmt = stmt.where(Verification.method == VerificationMethod(method))
    if level is not None:
        stmt = stmt.where(Verification.level >= level)
    return db.session.scalar(stmt.limit(1)) is not None


def current_level(user) -> int:
    """The highest level of the person's current verifications (0: none)."""
    if not is_user(user):
        return 0
    return db.session.scalar(sa.select(sa.func.max(Verification.level)).where(
        Verification.user_id == user.id, _current())) or 0


def record(user, method: VerificationMethod | str, *, verified_by=None, district_id: int | None = None,
           identity_hash: str | None = None, census_record_id: int | None = None) -> Verification:
    """Record (or renew) the person's verification by ``method``: one
    current row per method, its level from the registry, its expiry from
    the method's setting. The caller checked the right to verify."""
    method = VerificationMethod(method)
    now = utcnow()
    row = db.session.scalar(sa.select(Verification).where(
        Verification.user_id == user.id, Verification.method == method, Verification.revoked_at.is_(None)))
    if row is None:
        row = Verification(user_id=user.id, method=method)
        db.session.add(row)
    row.level = level_of(method)
    row.created_at, row.expires_at = now, expiry_for(method, now)
    if verified_by is not None:
        row.verified_by_id = verified_by.id
    if district_id is not None:
        row.district_id = district_id
    if identity_hash is not None:
        row.identity_hash = identity_hash
    if census_record_id is not None:
        row.census_record_id = census_record_id
    db.session.flush()
    return row


def revoke_method(user, method: VerificationMethod | str, reason: str) -> None:
    """End the person's current verification by ``method`` (if any)."""
    db.session.execute(sa.update(Verification).where(
        Verification.user_id == user.id, Verification.method == VerificationMethod(method),
        Verification.revoked_at.is_(None)).values(revoked_at=utcnow(), revoke_reason=reason))


# --- per-space requirements ----------------------------------------------------------

def requirement(kind: str, object_id: int, action: str) -> SpaceRequirement | None:
    """What ``action`` in the space ``(kind, object_id)`` asks, or None."""
    return db.session.scalar(sa.select(SpaceRequirement).where(
        SpaceRequirement.kind == kind, SpaceRequirement.object_id == object_id, SpaceRequirement.action == action))


def verification_requirement(kind: str, obj) -> dict[str, SpaceRequirement]:
    """Every action's requirement of the space ``obj`` of ``kind``."""
    rows = db.session.scalars(sa.select(SpaceRequirement).where(
        SpaceRequirement.kind == kind, SpaceRequirement.object_id == obj.id))
    return {r.action: r for r in rows}


def describe(req: SpaceRequirement) -> str:
    """The requirement in a sentence ("identity checked", "FranceConnect...")."""
    if req.method is not None:
        return _("a verification by “%(method)s”", method=METHODS[req.method.value].label)
    return _("a verification of level %(level)d", level=req.min_level)


HOW_TO = _l("You can get verified from your account page (FranceConnect, a letter code) or at a town-hall "
            "counter with your identity papers.")


def requirement_refusal(user, kind: str, object_id: int, action: str) -> Refusal | None:
    """Why ``user`` does not meet the space's requirement for ``action``
    (None when there is none or it is met). The message says how to get
    verified."""
    req = requirement(kind, object_id, action)
    if req is None or (req.min_level is None and req.method is None):
        return None
    if is_verified(user, method=req.method, level=req.min_level):
        return None
    if not is_user(user):
        return Refusal(_("This requires %(what)s. Log in first.", what=describe(req)) + " " + str(HOW_TO))
    return Refusal(_("This requires %(what)s.", what=describe(req)) + " " + str(HOW_TO))


def actions_of(kind: str) -> list[str]:
    """The actions a kind lets a requirement be put on (its "verification_actions" hook)."""
    fn = hook(kind, "verification_actions")
    return list(fn()) if fn else []


def can_set_requirement(actor, kind: str, obj) -> bool:
    """Who manages the space (its kind's "can_manage" hook), administrators always."""
    if is_admin(actor):
        return True
    fn = hook(kind, "can_manage")
    return bool(fn and is_user(actor) and fn(actor, obj))


def set_requirement(actor, kind: str, obj, action: str, *, min_level: int | None, method: str | None) -> None:
    """Set (or clear, with neither) what ``action`` in the space asks."""
    require(can_set_requirement(actor, kind, obj))
    get_kind(kind)
    errors = {}
    if action not in actions_of(kind):
        errors["action"] = _("Choose an action from the list.")
    if min_level not in (None, LEVEL_RESIDENT, LEVEL_IDENTITY):
        errors["min_level"] = _("Choose a level from the list.")
    if method and method not in METHODS:
        errors["method"] = _("Choose a method from the list.")
    if errors:
        raise ValidationError(fields=errors)
    row = requirement(kind, obj.id, action)
    if min_level is None and not method:
        if row is not None:
            db.session.delete(row)
    else:
        if row is None:
            row = SpaceRequirement(kind=kind, object_id=obj.id, action=action)
            db.session.add(row)
        row.min_level, row.method = min_level, VerificationMethod(method) if method else None
        row.updated_by_id, row.updated_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "verification.requirement", kind, obj.id, space_action=action, min_level=min_level,
                 method=method or None)
