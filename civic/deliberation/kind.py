"""The one declaration of the deliberation module: the "debate" and "comment"
kinds and their hooks, the comments panel every kind that accepts comments
shows, the home section, navigation, settings, the reply-digest job, personal
data and the Jinja globals.

Other kinds opt in to comments with the ``comments`` hook ({"alignment":
bool}) and may say when they accept new ones with ``comments_open``; nothing
else is needed in their package.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts import privacy
from civic.core import (
    content,
    follows,  # noqa: F401  (debates are followable: the follow table must exist)
)
from civic.core.jobs import register_periodic
from civic.core.nav import register_nav
from civic.core.permissions import MODERATOR, OFFICIAL, is_moderator_for, staff_scope
from civic.core.sanitize import clean_text
from civic.core.time import utcnow
from civic.core.urls import absolute_url
from civic.deliberation import (  # noqa: F401  (api and demo register at import)
    api,
    demo,
    jobs,
    opendata,
    permissions,
    queries,
    services,
    settings,
    views,
)
from civic.deliberation.models import Comment, Debate, DebateState
from civic.extensions import db


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, **values) if has_request_context() else absolute_url(endpoint, **values)


def _excerpt(text: str, length: int = 200) -> str:
    text = clean_text(text)
    return text if len(text) <= length else text[:length - 1] + "…"


# --- the "debate" kind ---------------------------------------------------------------

def debate_authored_by(user_id: int) -> list[Debate]:
    return db.session.scalars(sa.select(Debate).where(Debate.author_id == user_id)).all()


def debate_admin_spaces(actor) -> list[dict]:
    """Debates the actor closes (officials) or moderates, in their districts: one query."""
    rows = db.session.scalars(sa.select(Debate).where(
        staff_scope(actor, Debate.district_id, OFFICIAL, MODERATOR)).order_by(Debate.id.desc())).all()
    out = []
    for d in rows:
        if not (permissions.can_close_debate(actor, d) or is_moderator_for(actor, d.district_id)):
            continue
        state = _("Hidden by moderation") if d.hidden_at else _("Open") if d.is_open else _("Closed")
        out.append({"kind": "debate", "id": d.id, "title": d.title, "url": _url("deliberation.debate", debate_id=d.id),
                    "state": state, "phase": None, "is_draft": False, "district_id": d.district_id,
                    "preview_url": None})
    return out


def debate_attention(actor) -> list[dict]:
    """Open debates whose contribution period is over: their officials write
    the conclusion (one query)."""
    rows = db.session.scalars(sa.select(Debate).where(
        Debate.state == DebateState.OPEN, Debate.hidden_at.is_(None), Debate.ends_at.is_not(None),
        Debate.ends_at <= utcnow(), staff_scope(actor, Debate.district_id, OFFICIAL))
        .order_by(Debate.ends_at)).all()
    return [{"kind": "debate", "id": d.id, "title": d.title, "url": _url("deliberation.close_debate", debate_id=d.id),
             "what": _("Debate to conclude"), "due_at": None, "late": False}
            for d in rows if permissions.can_close_debate(actor, d)]


def debate_create_links(actor) -> list[tuple[str, str]]:
    if permissions.can_open_debate(actor):
        return [(_("Open a debate"), _url("deliberation.new_debate"))]
    return []


DEBATE = content.ContentKind(
    name="debate", model=Debate, label=lambda: _l("Debate"), title=lambda d: d.title,
    url=lambda d: _url("deliberation.debate", debate_id=d.id),
    can_view=permissions.can_view_debate,
    author_id=lambda d: d.author_id, district_id=lambda d: d.district_id,
    hooks={
        "excerpt": lambda d: _excerpt(d.body_source),
        "set_hidden": services.set_debate_hidden,
        "redact": services.redact_debate,
        "text": lambda d: d.body_source,
        "authored_by": debate_authored_by,
        "context": lambda d: None,
        "comments": {"alignment": True},
        "comments_open": lambda d: d.accepts_contributions(),
        "followable": True,
        "conversations": True,  # a conversation (agree/disagree statements) may sit on a debate
        "admin_spaces": debate_admin_spaces,
        "attention": debate_attention,
        "create_links": debate_create_links,
        "search_document": lambda d: debate_document(d),
        "search_documents": lambda: db.session.scalars(sa.select(Debate).where(Debate.hidden_at.is_(None))),
    },
)


def debate_document(debate: Debate) -> dict | None:
    """A debate not hidden by moderation, with its conclusion; never its author."""
    if not permissions.can_view_debate(None, debate):
        return None
    return {"title": debate.title, "body": "\n\n".join(x for x in (debate.body_source, debate.conclusion_source) if x),
            "url": _url("deliberation.debate", debate_id=debate.id), "district_id": debate.district_id,
            "published_at": debate.created_at}


# --- the "comment" kind (so moderation can report, hide and redact comments) ------------

def _item_of(comment: Comment):
    kind = content.get_kind(comment.kind)
    return kind, db.session.get(kind.model, comment.object_id)


def comment_url(comment: Comment) -> str:
    kind, obj = _item_of(comment)
    return f"{kind.url(obj)}#comment-{comment.id}" if obj is not None else _url("deliberation.index")


def comment_title(comment: Comment) -> str:
    # What the comment says: lists and mails already name the kind ("Comment:
    # …") and give the commented item as its context, so "Comment on “…”"
    # read "Comment: Comment on “…”".
    return comment.excerpt(80) or "—"


def comment_district(comment: Comment) -> int | None:
    kind, obj = _item_of(comment)
    return kind.district_id(obj) if obj is not None else None


def comment_context(comment: Comment):
    kind, obj = _item_of(comment)
    return (kind.title(obj), kind.url(obj)) if obj is not None else None


def comment_authored_by(user_id: int) -> list[Comment]:
    return db.session.scalars(sa.select(Comment).where(Comment.author_id == user_id,
                                                       Comment.deleted_at.is_(None))).all()


COMMENT = content.ContentKind(
    name="comment", model=Comment, label=lambda: _l("Comment"), title=comment_title, url=comment_url,
    can_view=permissions.can_view_comment, author_id=lambda c: c.author_id,
    district_id=comment_district,
    hooks={
        "excerpt": lambda c: _excerpt(c.body_source),
        "set_hidden": services.set_comment_hidden,
        "redact": services.redact_comment,
        "text": lambda c: c.body_source,
        "authored_by": comment_authored_by,
        "context": comment_context,
    },
)


# --- home, privacy ----------------------------------------------------------------------

def home_section(user):
    """The three newest open debates, with their counts per side."""
    debates = db.session.scalars(
        sa.select(Debate).where(Debate.state == DebateState.OPEN, Debate.hidden_at.is_(None))
        .order_by(Debate.created_at.desc(), Debate.id.desc()).limit(3)).all()
    if not debates:
        return None
    counts = queries.alignment_counts("debate", [d.id for d in debates])
    return {
        "title": _("Debates open now"),
        "intro": _("Give your arguments and read the other side's: the most constructive ones come first."),
        "items": [{"title": d.title, "url": _url("deliberation.debate", debate_id=d.id),
                   "detail": _("%(pro)d for · %(con)d against · %(neutral)d neutral", pro=counts[d.id]["for"],
                               con=counts[d.id]["against"], neutral=counts[d.id]["neutral"])} for d in debates],
        "more_url": _url("deliberation.index"),
        "more_label": _("All debates"),
    }


def privacy_notice():
    return {"title": _("Debates and comments"), "rows": [
        (_("Your comments, their position (for, against, neutral) and date, under your display name"),
         _("Public debate on local questions"),
         _("As long as the page they are on; you can delete them at any time, and the text is then erased")),
        (_("Which comments you found useful or not"),
         _("Sorting comments; only totals are shown, never who rated what"),
         _("Until you take the rating back or delete your account")),
        (_("Replies to your comments waiting for your next mail"),
         _("Telling you about replies, at most one mail per period"),
         _("Until the mail is sent; erased when you delete your account")),
    ]}


def declare(app) -> None:
    """Everything the module adds to ``app`` (idempotent: tests create many apps)."""
    app.register_blueprint(views.bp)
    content.register_kind(DEBATE)
    content.register_kind(COMMENT)
    content.register_panel(views.comments_panel, order=50)
    content.register_home_section(home_section)
    register_nav(lambda: _l("Debates"), "deliberation.index", order=30)
    settings.register()
    register_periodic("deliberation.reply_digests", jobs.send_due_reply_digests, 900)
    privacy.register_exporter("deliberation", services.export_personal_data)
    privacy.register_eraser(services.erase_personal_data)
    privacy.register_privacy_notice(privacy_notice)
    opendata.register()
    # Templates show or hide actions with the same predicates the services require.
    app.jinja_env.globals["deliberation_permissions"] = permissions
