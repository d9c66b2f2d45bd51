"""Hooks through which each module says what personal data it holds.

``register_exporter(name, fn)``: ``fn(user) -> dict | list`` goes into the
"my data" page and download under ``name``. ``register_eraser(fn)``:
``fn(user)`` anonymises the module's rows when an account is deleted
(contributions stay, personal data goes).
"""

import re
from collections.abc import Callable
from datetime import datetime

from flask_babel import lazy_gettext as _l

_EXPORTERS: dict[str, Callable] = {}
_NOTICES: list[Callable] = []
_ERASERS: list[Callable] = []


def register_exporter(name: str, fn: Callable) -> None:
    _EXPORTERS[name] = fn


def register_eraser(fn: Callable) -> None:
    if fn not in _ERASERS:
        _ERASERS.append(fn)


def exporters() -> dict[str, Callable]:
    return dict(_EXPORTERS)


def erasers() -> list[Callable]:
    return list(_ERASERS)


def register_privacy_notice(fn: Callable) -> None:
    """``fn() -> {"title": str, "rows": [(what, why, how_long), ...]}`` shown on
    the privacy page: every module says what it collects, why, and for how long."""
    if fn not in _NOTICES:
        _NOTICES.append(fn)


def privacy_notices() -> list[dict]:
    return [fn() for fn in _NOTICES]


# The "my data" page names what it shows in the reader's language; the JSON
# download keeps the keys. A module adds the keys of its own export with
# register_data_labels (or here, for the modules of this repository).
_LABELS: dict[str, object] = {
    "account": _l("Account"), "action": _l("Action"), "alignment": _l("Side taken"),
    "amendments": _l("Amendments"), "answered_on": _l("Answered on"), "answers": _l("Answers"),
    "appeal": _l("Appeal"), "assemblies": _l("Citizens' assemblies"),
    "assemblies_volunteering": _l("Volunteering for an assembly's draw"), "memberships": _l("Seats in assemblies"), "at": _l("When"), "audit_log": _l("What you did (audit log)"),
    "ballots": _l("Ballots"), "blocked_until": _l("Blocked until"), "budgets": _l("Participatory budgets"),
    "channel": _l("How"), "comment_id": _l("Comment"), "comments": _l("Comments"),
    "consultation": _l("Consultation"), "consultations": _l("Consultations"),
    "conversation_id": _l("Conversation"), "conversations": _l("Conversations"), "group": _l("Group"),
    "opinion_groups": _l("Opinion groups you fell in"), "statement_id": _l("Statement"),
    "statements": _l("Statements written"), "statement_votes": _l("Votes on statements"), "vote": _l("Vote"), "voted_at": _l("Voted on"), "created_at": _l("Created"),
    "debates_opened": _l("Debates opened"), "decision": _l("Decision"),
    "decisions_about_me": _l("Moderation decisions about you"), "deleted_at": _l("Deleted"),
    "deliberation": _l("Debates and comments"), "details": _l("Details"), "display_name": _l("Name shown"),
    "district": _l("District"), "email": _l("Email address"), "email_confirmed_at": _l("Email address confirmed"),
    "email_me_the_answer": _l("Mail me the answer"), "envelope_id": _l("Envelope"), "id": _l("Number"),
    "in_reply_to": _l("In reply to"), "kind": _l("Kind"), "last_login_at": _l("Last login"),
    "locale": _l("Language"), "mail_when_published": _l("Mail me when published"), "method": _l("Method"),
    "moderation": _l("Moderation"), "on": _l("On"), "on_paper": _l("On paper"), "petitions": _l("Petitions"),
    "petitions_created": _l("Petitions started"), "points": _l("Points"), "processes": _l("Participatory processes"),
    "project_ids": _l("Projects chosen"), "projects": _l("Projects"), "proposal": _l("Proposal"),
    "proposal_id": _l("Proposal"), "proposals": _l("Proposals"), "reactions": _l("Ratings of comments"),
    "reason": _l("Reason"), "reports_made": _l("Reports you made"), "role": _l("Role"), "roles": _l("Roles"),
    "signatures": _l("Signatures"), "since": _l("Since"), "state": _l("State"), "statement": _l("Statement"),
    "status": _l("Status"), "supports": _l("Supports"), "text": _l("Text"), "title": _l("Title"),
    "updated_at": _l("Updated"), "value": _l("Value"), "verification": _l("Resident verification"),
}


def register_data_labels(labels: dict) -> None:
    """Names, in the reader's language, of the keys a module's export uses."""
    _LABELS.update(labels)


def data_label(key: str) -> str:
    """The name shown for an export key (the key itself, made readable, if
    no module named it)."""
    label = _LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?")


def data_moment(value):
    """An exported ISO moment as a datetime to show in local time, else None."""
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        return datetime.fromisoformat(value.rstrip("Z"))
    return None
