"""Notifications' rules: each person sees and changes only their own inbox,
follows and preferences (a signed link from a mail stands for the person)."""

from __future__ import annotations

from civic.core.permissions import is_user


def can_view_inbox(actor) -> bool:
    return is_user(actor)


def can_change_notification(actor, notification) -> bool:
    return is_user(actor) and notification is not None and notification.user_id == actor.id


def can_change_preferences(actor, user) -> bool:
    """The person themselves (logged in, or the holder of their signed link)."""
    return user is not None and getattr(actor, "id", None) == user.id and user.deleted_at is None
