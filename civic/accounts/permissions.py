"""Accounts' own rules. The vocabulary shared by every module (``is_user``,
``require_login``, ``require_role``, ``require_contributor``, "official for
this district", "moderator for this item") lives in ``civic.core.permissions``."""

from __future__ import annotations

from civic.core.permissions import ADMIN, MEDIATOR, MODERATOR, OFFICIAL, has_any_role, has_role


def can_manage_accounts(actor) -> bool:
    """Grant roles, verify residents, upload the census, change settings."""
    return has_role(actor, ADMIN)


def can_use_counter(actor) -> bool:
    """Open the town-hall counter: find a person, verify them in person,
    record on their behalf (mediators; administrators hold every role)."""
    return has_any_role(actor, MEDIATOR)


def can_open_back_office(actor) -> bool:
    """Staff: whoever holds an administrator, official, moderator or mediator
    role (for a district or city-wide) opens /admin, which lists what each
    of those roles lets them run."""
    return any(has_any_role(actor, role) for role in (ADMIN, OFFICIAL, MODERATOR, MEDIATOR))
