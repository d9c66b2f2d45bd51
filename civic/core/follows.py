"""Follows: a person asks to be kept informed about any registered item
(a budget project, a proposal...). Modules mail followers through the outbox
with topic ``follow:<kind>:<id>``, so one click unsubscribes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import content, people
from civic.core.permissions import require_login
from civic.core.time import utcnow
from civic.extensions import db


class Follow(db.Model):
    __tablename__ = "follow"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "object_id"),
                      sa.Index("ix_follow_kind_object", "kind", "object_id"))


def follow(user, kind: str, object_id: int) -> None:
    """Follow an item the person can see (idempotent)."""
    require_login(user)
    content.load(kind, object_id, user)
    if not is_following(user, kind, object_id):
        db.session.add(Follow(user_id=user.id, kind=kind, object_id=object_id))
        db.session.flush()


def unfollow(user, kind: str, object_id: int) -> None:
    """Stop following an item (idempotent)."""
    require_login(user)
    db.session.execute(sa.delete(Follow).where(Follow.user_id == user.id, Follow.kind == kind,
                                               Follow.object_id == object_id))
    db.session.flush()


def is_following(user, kind: str, object_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(Follow.id).where(Follow.user_id == user.id, Follow.kind == kind,
                                                        Follow.object_id == object_id)) is not None


def followers(kind: str, object_id: int):
    """Users following the item (active accounts with an address)."""
    User = people.user_model()
    return db.session.scalars(sa.select(User).join(Follow, Follow.user_id == User.id).where(
        Follow.kind == kind, Follow.object_id == object_id, User.deleted_at.is_(None), User.email.is_not(None))).all()
