"""Accounts' own rules. The vocabulary shared by every module (``is_user``,
``require_login``, ``require_role``, ``require_contributor``, "official for
this district", "moderator for this item") lives in ``civic.core.permissions``."""

from __future__ import annotations

from civic.core.permissions import ADMIN, has_role


def can_manage_accounts(actor) -> bool:
    """Grant roles, verify residents, upload the census, change settings."""
    return has_role(actor, ADMIN)
