"""The vocabulary every domain's ``permissions.py`` is written in.

Rules live in one place per domain, ``civic/<domain>/permissions.py``, as
predicates ``can_<verb>_<noun>(actor, obj) -> bool`` built from the few
questions below. Services call ``require(can_x(actor, obj))`` first; views
and templates call the same predicates to show or hide an action, never a
role check of their own.

The actor is duck-typed (an account with ``has_role``, ``role_districts``,
``is_blocked``, ``email_confirmed``; or Flask-Login's anonymous user, or
None), so core needs nothing from the accounts package.
"""

from __future__ import annotations

from flask_babel import gettext as _

from civic.core.errors import PermissionDenied

MEDIATOR, OFFICIAL, MODERATOR, ADMIN = "mediator", "official", "moderator", "admin"


class Refusal:
    """A falsy answer that says why: ``require`` raises it with its message
    (``can_comment`` tells "confirm your address first", not just "no")."""

    __slots__ = ("message",)

    def __init__(self, message: str | None = None):
        self.message = message

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Refusal({self.message!r})"


def require(allowed, message: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``allowed`` is true; a
    :class:`Refusal` brings its own message."""
    if not allowed:
        raise PermissionDenied(message or getattr(allowed, "message", None))


# --- who the actor is ------------------------------------------------------------

def is_user(actor) -> bool:
    """A logged-in account (not anonymous, not None)."""
    return actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "id", None) is not None


def has_role(actor, role: str, district_id: int | None = None) -> bool:
    """Holds ``role`` for ``district_id`` (admins hold every role; a city-wide
    item needs a city-wide grant)."""
    return is_user(actor) and actor.has_role(role, district_id)


def has_any_role(actor, role: str) -> bool:
    """Holds ``role`` somewhere (for a district or city-wide)."""
    return is_user(actor) and actor.has_any_role(role)


def is_admin(actor) -> bool:
    return has_role(actor, ADMIN)


def is_official_for(actor, district_id: int | None) -> bool:
    """The one "official for this district" of every module."""
    return has_role(actor, OFFICIAL, district_id)


def is_moderator_for(actor, district_id: int | None) -> bool:
    """The one "moderator for this item's district" of every module."""
    return has_role(actor, MODERATOR, district_id)


def is_mediator_for(actor, district_id: int | None) -> bool:
    return has_role(actor, MEDIATOR, district_id)


def districts_of(actor, role: str) -> set[int] | None:
    """Districts where the actor holds ``role``: None means every district,
    an empty set none (anonymous)."""
    if not is_user(actor):
        return set()
    return actor.role_districts(role)


def contributor_refusal(actor) -> Refusal | None:
    """Why the actor may not contribute (post, sign, vote) now, or None."""
    if not is_user(actor):
        return Refusal(_("Please log in to do this."))
    if actor.is_blocked:
        return Refusal(_("Your account is blocked: you can read and appeal, but not contribute."))
    if not actor.email_confirmed:
        return Refusal(_("Please confirm your email address first: we sent you a link."))
    return None


def is_contributor(actor):
    """Logged in, email confirmed, not blocked: True, or a Refusal saying why."""
    refusal = contributor_refusal(actor)
    return True if refusal is None else refusal


# --- the usual requirements, for services ---------------------------------------

def require_login(actor) -> None:
    require(is_user(actor), _("Please log in to do this."))


def require_role(actor, role: str, district_id: int | None = None) -> None:
    require_login(actor)
    require(actor.has_role(role, district_id))


def require_contributor(actor) -> None:
    require(is_contributor(actor))


def staff_scope(actor, column, *roles: str):
    """SQL condition on a district column: the rows the actor holds one of
    ``roles`` for (every row for a city-wide grant; a district grant covers
    that district only, never city-wide rows, whose column is NULL). Lists
    use it before the domain's own predicate confirms each row."""
    import sqlalchemy as sa

    ids: set[int] = set()
    for role in roles:
        scope = districts_of(actor, role)
        if scope is None:
            return sa.true()
        ids |= scope
    return column.in_(sorted(ids)) if ids else sa.false()
