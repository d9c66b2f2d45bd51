"""Deliberation: debates, and comments on any registered kind.

Kinds opt in to comments with the ``comments`` hook ({"alignment": bool}) and
may say when they accept new ones with ``comments_open``; the thread appears
on their page through the comments panel. Nothing else is needed in their
package.
"""

from __future__ import annotations

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l


def _url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    from civic.core.urls import absolute_url

    return absolute_url(endpoint, **values)


def _excerpt(text: str, length: int = 200) -> str:
    from civic.core.sanitize import clean_text

    text = clean_text(text)
    return text if len(text) <= length else text[:length - 1] + "…"


# --- the "debate" kind ---------------------------------------------------------------

def _debate_kind():
    import sqlalchemy as sa

    from civic.core.content import ContentKind
    from civic.deliberation import queries, services
    from civic.deliberation.models import Debate
    from civic.extensions import db

    def authored_by(user_id):
        return db.session.scalars(sa.select(Debate).where(Debate.author_id == user_id)).all()

    return ContentKind(
        name="debate", model=Debate, label=lambda: _l("Debate"), title=lambda d: d.title,
        url=lambda d: _url("deliberation.debate", debate_id=d.id),
        can_view=queries.can_view_debate,
        author_id=lambda d: d.author_id, district_id=lambda d: d.district_id,
        hooks={
            "excerpt": lambda d: _excerpt(d.body_source),
            "set_hidden": services.set_debate_hidden,
            "redact": services.redact_debate,
            "text": lambda d: d.body_source,
            "authored_by": authored_by,
            "context": lambda d: None,
            "comments": {"alignment": True},
            "comments_open": lambda d: d.accepts_contributions(),
            "followable": True,
        },
    )


# --- the "comment" kind (so moderation can report, hide and redact comments) ------------

def _item_of(comment):
    from civic.core import content
    from civic.extensions import db

    kind = content.get_kind(comment.kind)
    return kind, db.session.get(kind.model, comment.object_id)


def _comment_can_view(user, comment) -> bool:
    kind, obj = _item_of(comment)
    if obj is None or not kind.can_view(user, obj):
        return False
    if comment.hidden_at is None:
        return True
    return bool(getattr(user, "is_authenticated", False)) and user.has_role("moderator", kind.district_id(obj))


def _comment_url(comment) -> str:
    kind, obj = _item_of(comment)
    return f"{kind.url(obj)}#comment-{comment.id}" if obj is not None else _url("deliberation.index")


def _comment_title(comment) -> str:
    from flask_babel import gettext as _

    kind, obj = _item_of(comment)
    return _("Comment on “%(title)s”", title=kind.title(obj) if obj is not None else "—")


def _comment_district(comment) -> int | None:
    kind, obj = _item_of(comment)
    return kind.district_id(obj) if obj is not None else None


def _comment_context(comment):
    kind, obj = _item_of(comment)
    return (kind.title(obj), kind.url(obj)) if obj is not None else None


def _comment_kind():
    import sqlalchemy as sa

    from civic.core.content import ContentKind
    from civic.deliberation import services
    from civic.deliberation.models import Comment
    from civic.extensions import db

    def authored_by(user_id):
        return db.session.scalars(sa.select(Comment).where(Comment.author_id == user_id,
                                                           Comment.deleted_at.is_(None))).all()

    return ContentKind(
        name="comment", model=Comment, label=lambda: _l("Comment"), title=_comment_title, url=_comment_url,
        can_view=_comment_can_view, author_id=lambda c: c.author_id,
        district_id=_comment_district,
        hooks={
            "excerpt": lambda c: _excerpt(c.body_source),
            "set_hidden": services.set_comment_hidden,
            "redact": services.redact_comment,
            "text": lambda c: c.body_source,
            "authored_by": authored_by,
            "context": _comment_context,
        },
    )


# --- home, settings, privacy ----------------------------------------------------------------

def _home_section(user):
    import sqlalchemy as sa
    from flask_babel import gettext as _

    from civic.deliberation import queries
    from civic.deliberation.models import Debate, DebateState
    from civic.extensions import db

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


def _settings():
    from civic.core.settings import SettingSpec, register_setting
    from civic.deliberation import services as s

    register_setting(SettingSpec(s.RESIDENTS_MAY_OPEN, False, bool, lambda: _l("Residents may open debates"),
                                 lambda: _l("Otherwise only officials open debates.")))
    register_setting(SettingSpec(s.MIN_ACCOUNT_AGE_DAYS, 0, int, lambda: _l("Minimum account age to comment (days)"),
                                 lambda: _l("0 lets new accounts comment at once."), minimum=0, maximum=365))
    register_setting(SettingSpec(s.REQUIRE_CONFIRMED_EMAIL, True, bool,
                                 lambda: _l("A confirmed email address is needed to comment")))
    register_setting(SettingSpec(s.RATE_LIMIT_PER_HOUR, 20, int, lambda: _l("Comments per person per hour, at most"),
                                 minimum=1, maximum=1000))
    register_setting(SettingSpec(s.EDIT_WINDOW_MINUTES, 10, int, lambda: _l("Minutes during which a comment can be edited"),
                                 minimum=0, maximum=1440))
    register_setting(SettingSpec(s.DIGEST_HOURS, 24, int, lambda: _l("Hours between two mails about replies, at least"),
                                 lambda: _l("Replies to someone's comments are gathered in one mail per period."),
                                 minimum=1, maximum=24 * 7))


def _privacy_notice():
    from flask_babel import gettext as _

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


def init_app(app):
    from civic.accounts import privacy
    from civic.core import (
        content,
        follows,  # noqa: F401  (debates are followable: the follow table must exist)
    )
    from civic.core.jobs import register_periodic
    from civic.core.nav import register_nav
    from civic.deliberation import api, demo, jobs, services, views  # noqa: F401  (api and demo register at import)

    app.register_blueprint(views.bp)
    content.register_kind(_debate_kind())
    content.register_kind(_comment_kind())
    content.register_panel(views.comments_panel, order=50)
    content.register_home_section(_home_section)
    register_nav(lambda: _l("Debates"), "deliberation.index", order=30)
    _settings()
    register_periodic("deliberation.reply_digests", jobs.send_due_reply_digests, 900)
    privacy.register_exporter("deliberation", services.export_personal_data)
    privacy.register_eraser(services.erase_personal_data)
    privacy.register_privacy_notice(_privacy_notice)
