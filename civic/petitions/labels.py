"""The petitions' fixed vocabularies and their translated labels: topics,
moderation reasons, decisions, state names, history entries. Shared by the
services, the forms, the pages and the mails (no database access)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from civic.petitions.models import PetitionState

S = PetitionState

TOPICS = {
    "environment": _l("Environment and nature"),
    "transport": _l("Transport and streets"),
    "housing": _l("Housing and planning"),
    "culture": _l("Culture and heritage"),
    "sport": _l("Sport and leisure"),
    "education": _l("Schools and youth"),
    "social": _l("Solidarity and health"),
    "safety": _l("Safety and cleanliness"),
    "democracy": _l("Local democracy"),
    "other": _l("Other"),
}

# Public reasons for a rejection, and reasons that hide the petition (its text
# must not be shown: offensive, libellous, advert, personal data).
REJECT_REASONS = {
    "duplicate": _l("A petition asking for the same thing is already open"),
    "outside_remit": _l("The city has no power to act on this"),
    "no_action": _l("It does not ask for a clear action"),
    "unclear": _l("It is too unclear to be answered"),
    "already_decided": _l("It asks for something already decided or under way"),
}
HIDE_REASONS = {
    "offensive": _l("Offensive, abusive or discriminatory content"),
    "libellous": _l("Potentially libellous content"),
    "advert": _l("Advertising or promotion"),
    "personal_data": _l("Personal data about someone"),
}
REMOVE_REASONS = {**HIDE_REASONS, "legal": _l("Taken down on a legal request"),
                  "fraud": _l("Signatures collected by fraud")}
DECISIONS = {
    "accepted": _l("Accepted: the city will do what the petition asks"),
    "partly": _l("Partly accepted"),
    "studying": _l("Under study: a decision will follow"),
    "refused": _l("Refused"),
}


def state_labels() -> dict:
    """Translated state names, in the "petition state" context (French
    agrees with "pétition": "Close", "Masquée"...)."""
    return {
        S.DRAFT: pgettext("petition state", "Draft"),
        S.SPONSORS: pgettext("petition state", "Collecting sponsors"),
        S.MODERATION: pgettext("petition state", "Awaiting moderation"),
        S.OPEN: pgettext("petition state", "Open for signatures"),
        S.CLOSED: pgettext("petition state", "Closed"),
        S.REJECTED: pgettext("petition state", "Rejected"),
        S.HIDDEN: pgettext("petition state", "Hidden"),
        S.REMOVED: pgettext("petition state", "Removed"),
    }


def reason_label(code: str | None) -> str:
    """The translated label of a rejection or removal reason ("" if none)."""
    label = {**REJECT_REASONS, **REMOVE_REASONS}.get(code or "")
    return str(label) if label else ""


HISTORY_LABELS = {
    "petition.created": _l("Draft created"),
    "petition.submitted": _l("Sent to sponsors"),
    "petition.sponsored": _l("Sponsors gathered; sent to moderation"),
    "petition.approved": _l("Published by the moderators"),
    "petition.rejected": _l("Rejected by the moderators"),
    "petition.hidden": _l("Hidden by the moderators"),
    "petition.removed": _l("Removed by the moderators"),
    "petition.restored": _l("Restored by the moderators"),
    "petition.closed": _l("Closed for signatures"),
    "petition.threshold_response": _l("Response threshold crossed: the city must answer"),
    "petition.threshold_debate": _l("Debate threshold crossed"),
    "petition.response_published": _l("Official response published"),
    "petition.debate_published": _l("Debate outcome published"),
}
