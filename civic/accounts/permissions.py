"""Accounts' own rules. The vocabulary shared by every module (``is_user``,
``require_login``, ``require_role``, ``require_contributor``, "official for
this district", "moderator for this item") lives in ``civic.core.permissions``."""

from __future__ import annotations

from civic.core.permissions import ADMIN, MEDIATOR, has_any_role, has_role


def can_manage_accounts(actor) -> bool:
    """Grant roles, verify residents, upload the census, change settings."""
    return has_role(actor, ADMIN)


def can_use_counter(actor) -> bool:
    """Open the town-hall counter: find a person, verify them in person,
    record on their behalf (mediators; administrators hold every role)."""
    return has_any_role(actor, MEDIATOR)
