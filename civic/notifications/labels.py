"""Translated names of families, frequencies, event types and reasons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FAMILY_LABELS = {
    "answers": _l("Official answers"),
    "progress": _l("Progress: thresholds, phases, results, implementation"),
    "replies": _l("Replies to my comments"),
    "moderation": _l("Moderation decisions on my contributions"),
    "new_items": _l("New items in the districts I follow"),
}

FREQUENCY_LABELS = {
    "immediately": _l("Immediately"),
    "daily": _l("Daily digest"),
    "weekly": _l("Weekly digest"),
    "off": _l("Off"),
}

CHANNEL_LABELS = {"mail": _l("By email"), "inbox": _l("In my notifications")}

EVENT_LABELS = {
    "answered": _l("An official answer was published"),
    "threshold_reached": _l("A threshold was reached"),
    "phase_changed": _l("The phase changed"),
    "results_published": _l("The results were published"),
    "followup_published": _l("The follow-up was published"),
    "implementation_update": _l("News of its implementation"),
    "comment_reply": _l("Someone replied to your comment"),
    "moderation_decision": _l("A moderator decided on your contribution"),
    "created": _l("A new item was published"),
}

REASON_LABELS = {
    "item": _l("You follow this."),
    "district": _l("You follow this district."),
    "concerned": _l("This concerns your own contribution."),
}


def family_label(family: str) -> str:
    return str(FAMILY_LABELS.get(family, family))


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, ""))
