"""Follows: a person asks to be kept informed about any registered item
(a budget project, a proposal...), or about a district (a "follow target"
another module registers). Modules mail followers through the outbox
with topic ``follow:<kind>:<id>``, so one click unsubscribes; the
notifications module fans events out to followers.

Taking part follows automatically: services call :func:`auto_follow` when
someone creates, signs, supports, votes or answers, unless that person
turned "follow what I take part in" off (:class:`AutoFollowOff`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


class AutoFollowOff(db.Model):
    """The people who turned off "follow what I take part in" (on by default)."""

    __tablename__ = "auto_follow_off"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


@dataclass
class FollowTarget:
    """Something followable that is not a content kind (a district)."""

    name: str
    label: Callable[[], str]
    title: Callable[[int], str | None]  # None: no such target
    url: Callable[[int], str]


_TARGETS: dict[str, FollowTarget] = {}


def register_target(target: FollowTarget) -> None:
    _TARGETS[target.name] = target


def describe(kind: str, object_id: int, user=None) -> dict | None:
    """``{"label", "title", "url"}`` of a followed thing, or None if it is
    gone or no longer visible to ``user``."""
    if kind in _TARGETS:
        target = _TARGETS[kind]
        title = target.title(object_id)
        return None if title is None else {"label": target.label(), "title": title, "url": target.url(object_id)}
    try:
        registered, obj = content.load(kind, object_id, user)
    except Exception:
        return None
    return {"label": registered.label(), "title": registered.title(obj), "url": registered.url(obj)}


def _check_followable(kind: str, object_id: int, user) -> None:
    from civic.core.errors import NotFound

    if kind in _TARGETS:
        if _TARGETS[kind].title(object_id) is None:
            raise NotFound()
        return
    registered, _obj = content.load(kind, object_id, user)
    if not registered.hooks.get("followable"):
        raise NotFound()


def follow(user, kind: str, object_id: int) -> None:
    """Follow an item the person can see, or a follow target (idempotent)."""
    require_login(user)
    _check_followable(kind, object_id, user)
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


def auto_follow_enabled(user) -> bool:
    return db.session.get(AutoFollowOff, user.id) is None


def set_auto_follow(user, enabled: bool) -> None:
    """Turn "follow what I take part in" on or off for ``user``."""
    require_login(user)
    row = db.session.get(AutoFollowOff, user.id)
    if enabled and row is not None:
        db.session.delete(row)
    elif not enabled and row is None:
        db.session.add(AutoFollowOff(user_id=user.id))
    db.session.flush()


def auto_follow(user, kind: str, object_id: int) -> None:
    """Called by services when ``user`` creates, signs, supports, votes on or
    answers an item: follow it, unless the person turned that off. Quiet
    when the kind is not followable or the user is anonymous."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return
    registered = content.get_kind(kind)
    if not registered.hooks.get("followable") or not auto_follow_enabled(user):
        return
    if not is_following(user, kind, object_id):
        try:
            with db.session.begin_nested():
                db.session.add(Follow(user_id=user.id, kind=kind, object_id=object_id))
        except sa.exc.IntegrityError:
            pass  # followed concurrently: fine


def followed_page(user, page: int = 1, per_page: int = 25) -> tuple[list[Follow], bool]:
    """One page of what ``user`` follows, newest first, and whether there is more."""
    rows = db.session.scalars(sa.select(Follow).where(Follow.user_id == user.id)
                              .order_by(Follow.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def export_personal_data(user) -> list[dict]:
    return [{"kind": f.kind, "object_id": f.object_id, "since": f.created_at.isoformat()}
            for f in db.session.scalars(sa.select(Follow).where(Follow.user_id == user.id).order_by(Follow.id))]


def erase_personal_data(user) -> None:
    db.session.execute(sa.delete(Follow).where(Follow.user_id == user.id))
    db.session.execute(sa.delete(AutoFollowOff).where(AutoFollowOff.user_id == user.id))
