"""Who is mailed about a petition: the holders of a role for its district."""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import Role, User, UserRole
from civic.extensions import db


def people_with_role(role: Role, district_id: int | None) -> list[User]:
    """Live accounts with an address holding ``role`` city-wide or for
    ``district_id`` (``None``: city-wide grants only)."""
    conds = [UserRole.role == role, UserRole.district_id.is_(None)]
    if district_id is not None:
        conds[1] = sa.or_(UserRole.district_id.is_(None), UserRole.district_id == district_id)
    return db.session.scalars(sa.select(User).join(UserRole, UserRole.user_id == User.id).where(
        *conds, User.deleted_at.is_(None), User.email.is_not(None)).distinct()).all()
