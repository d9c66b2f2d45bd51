"""Permission checks shared by every module's services (raise, never return False)."""

from __future__ import annotations

from flask_babel import gettext as _

from civic.accounts.models import Role
from civic.core.errors import PermissionDenied


def is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "id", None) is not None


def require_login(actor) -> None:
    if not is_user(actor):
        raise PermissionDenied(_("Please log in to do this."))


def require_role(actor, role: Role | str, district_id: int | None = None) -> None:
    """The actor holds ``role`` for ``district_id`` (admins hold every role)."""
    require_login(actor)
    if not actor.has_role(role, district_id):
        raise PermissionDenied()


def require_contributor(actor) -> None:
    """Logged in, email confirmed, not blocked: may post, sign, vote."""
    require_login(actor)
    if actor.is_blocked:
        raise PermissionDenied(_("Your account is blocked: you can read and appeal, but not contribute."))
    if not actor.email_confirmed:
        raise PermissionDenied(_("Please confirm your email address first: we sent you a link."))
