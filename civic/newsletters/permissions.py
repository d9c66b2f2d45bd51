"""Who may write, send and see newsletters: admins and city-wide officials
write to the whole city, district officials to the districts they serve."""

from __future__ import annotations

from civic.core.permissions import OFFICIAL, Refusal, has_any_role, is_official_for, is_user


def can_write_newsletters(actor):
    if not is_user(actor):
        return Refusal()
    return has_any_role(actor, OFFICIAL)


def can_target(actor, district_id: int | None):
    """Whether ``actor`` may address a letter to ``district_id`` (None: the whole city)."""
    return is_official_for(actor, district_id)


def can_edit_newsletter(actor, letter):
    """Change, schedule or unschedule a letter not yet being sent."""
    return letter.status in ("draft", "scheduled") and can_target(actor, letter.district_id)


def can_manage_newsletter(actor, letter):
    """See a draft, its preview and its sending figures, send a test."""
    return can_target(actor, letter.district_id)


def can_view_newsletter(actor, letter):
    return letter.status == "sent" or can_manage_newsletter(actor, letter)
