"""The one declaration of the conversations module: the "conversation" and
"statement" kinds and their hooks, the panel on host items, settings, the
periodic recomputation, personal data, the CLI and the Jinja globals.

A kind hosts conversations by declaring the ``conversations`` hook (debates
and consultations do); nothing else is needed in its package.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext

from civic.accounts import privacy
from civic.conversations import (  # noqa: F401  (demo registers at import)
    demo,
    jobs,
    opendata,
    permissions,
    results,
    services,
    settings,
    views,
)
from civic.conversations.models import Conversation, Statement
from civic.core import content
from civic.core.jobs import register_periodic
from civic.core.permissions import OFFICIAL, staff_scope
from civic.core.urls import absolute_url
from civic.extensions import db


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, **values) if has_request_context() else absolute_url(endpoint, **values)


def _host_district(conversation: Conversation):
    return conversation.district_id


def admin_spaces(actor) -> list[dict]:
    """Conversations the actor closes, reopens and seeds (officials of their
    district), open or closed: one query. They live on a debate or a
    consultation, whose own rows the back office lists too."""
    rows = db.session.scalars(sa.select(Conversation).where(
        staff_scope(actor, Conversation.district_id, OFFICIAL)).order_by(Conversation.id.desc())).all()
    return [{"kind": "conversation", "id": c.id, "title": c.question,
             "url": _url("conversations.conversation", conversation_id=c.id),
             "state": pgettext("conversation state", "Open") if c.is_open else pgettext("conversation state", "Closed"),
             "phase": None, "is_draft": False, "district_id": c.district_id, "preview_url": None}
            for c in rows if permissions.can_close_conversation(actor, c)]


CONVERSATION = content.ContentKind(
    name="conversation", model=Conversation, label=lambda: _l("Conversation"), title=lambda c: c.question,
    url=lambda c: _url("conversations.conversation", conversation_id=c.id),
    can_view=permissions.can_view_conversation, author_id=lambda c: c.created_by_id,
    district_id=_host_district,
    hooks={"followable": True, "excerpt": lambda c: c.question, "context": lambda c: None,
           "search_document": lambda c: conversation_document(c),
           "search_documents": lambda: db.session.scalars(sa.select(Conversation)),
           "admin_spaces": admin_spaces},
)


def conversation_document(conversation: Conversation) -> dict | None:
    """A conversation whose host is public: its question (statements are not indexed)."""
    if not permissions.can_view_conversation(None, conversation):
        return None
    return {"title": conversation.question, "body": "",
            "url": _url("conversations.conversation", conversation_id=conversation.id),
            "district_id": _host_district(conversation), "published_at": conversation.created_at}


def statement_context(statement: Statement):
    c = statement.conversation
    return c.question, _url("conversations.conversation", conversation_id=c.id)


def statement_authored_by(user_id: int) -> list[Statement]:
    return db.session.scalars(sa.select(Statement).where(Statement.author_id == user_id)).all()


STATEMENT = content.ContentKind(
    name="statement", model=Statement, label=lambda: _lp("conversation", "Statement"), title=lambda s: s.text[:80],
    url=lambda s: _url("conversations.vote", conversation_id=s.conversation_id, statement=s.id),
    can_view=permissions.can_view_statement, author_id=lambda s: s.author_id,
    district_id=lambda s: s.conversation.district_id,
    hooks={
        "excerpt": lambda s: s.text,
        "set_hidden": services.set_statement_hidden,
        "redact": services.redact_statement,
        "text": lambda s: s.text,
        "authored_by": statement_authored_by,
        "context": statement_context,
    },
)


def privacy_notice():
    return {"title": _("Conversations"), "rows": [
        (_("The statements you write, under no name"),
         _("Others vote on them; the text is public"),
         _("As long as the conversation; moderators can hide them")),
        (_("Your votes (agree, disagree, pass) and the opinion group you fall in"),
         _("Finding the opinion groups; only totals and an anonymous, binned map are public, and only you see your group"),
         _("Until you delete your account; the groups are then recomputed without your votes")),
    ]}


def declare(app) -> None:
    """Everything the module adds to ``app`` (idempotent: tests create many apps)."""
    from civic.cli import civic_cli
    from civic.conversations.cli import deliberation_group

    app.register_blueprint(views.bp)
    content.register_kind(CONVERSATION)
    content.register_kind(STATEMENT)
    content.register_panel(views.conversation_panel, order=40)
    content.register_summary(results.conclusion_summary)
    content.register_opinion_groups(results.group_of_participants)
    settings.register()
    opendata.register()
    register_periodic("conversations.refresh_groups", jobs.refresh_stale, 300)
    privacy.register_exporter("conversations", services.export_personal_data)
    privacy.register_eraser(services.erase_personal_data)
    privacy.register_privacy_notice(privacy_notice)
    app.jinja_env.globals["conversations_permissions"] = permissions
    if "deliberation" not in civic_cli.commands:
        civic_cli.add_command(deliberation_group)
