"""Who may do what in conversations: the one place each rule lives.

Services ``require()`` these predicates first; views and templates (through
the ``conversations_permissions`` Jinja global) call the same ones. A
conversation sits on a host item of another kind; the host's own rules (who
sees it, its district) come through the content registry.
"""

from __future__ import annotations

from flask_babel import gettext as _

from civic.conversations.models import Conversation, ConversationState, Statement
from civic.core import content
from civic.core.permissions import (
    OFFICIAL,
    Refusal,
    contributor_refusal,
    has_any_role,
    is_admin,
    is_moderator_for,
    is_official_for,
)


def hosts_conversations(kind_name: str) -> bool:
    """Whether a kind accepts a conversation (it declares the ``conversations`` hook)."""
    return bool(content.hook(kind_name, "conversations"))


def can_view_conversation(actor, conversation: Conversation) -> bool:
    """Whoever may see the host item."""
    kind = content.get_kind(conversation.host_kind)
    from civic.extensions import db

    host = db.session.get(kind.model, conversation.host_id)
    return host is not None and kind.can_view(actor, host)


def starts_conversations(actor) -> bool:
    """Officials (somewhere) start conversations; checked before the host is even loaded."""
    return has_any_role(actor, OFFICIAL)


def can_start_conversation(actor, host_kind: str, host) -> bool:
    """The officials of the host's district start a conversation on a debate
    or a consultation (one per item)."""
    if not hosts_conversations(host_kind):
        return False
    return is_official_for(actor, content.get_kind(host_kind).district_id(host))


def can_close_conversation(actor, conversation: Conversation) -> bool:
    """The officials of its district close or reopen it."""
    return is_official_for(actor, conversation.district_id)


def can_seed_statements(actor, conversation: Conversation) -> bool:
    """Officials add the opening statements (marked as such) before residents write theirs."""
    return is_official_for(actor, conversation.district_id)


def participation_refusal(actor, conversation: Conversation) -> Refusal | None:
    """Why the actor may not vote or write a statement now, or None."""
    refusal = contributor_refusal(actor)
    if refusal is not None:
        return refusal
    if conversation.state != ConversationState.OPEN:
        return Refusal(_("This conversation is closed: its results stay published."))
    return None


def can_vote(actor, conversation: Conversation):
    """Contributors vote while the conversation is open: True, or a Refusal saying why."""
    refusal = participation_refusal(actor, conversation)
    return True if refusal is None else refusal


def can_submit_statement(actor, conversation: Conversation):
    """Contributors write statements while it is open: True, or a Refusal saying why."""
    return can_vote(actor, conversation)


def can_view_statement(actor, statement: Statement) -> bool:
    """Visible statements to all who see the conversation; hidden ones to its moderators."""
    if statement.hidden_at is not None:
        return is_moderator_for(actor, statement.conversation.district_id)
    return can_view_conversation(actor, statement.conversation)


def can_import_polis(actor, conversation: Conversation) -> bool:
    """Administrators import a Polis export into a conversation."""
    return is_admin(actor)
