"""Deliberation services: the only writers of debates, comments and reactions.

Every function takes the actor as its first argument, checks permission
first, validates, writes, records the audit entry and outbox rows, and
flushes. The caller (view, API, job, CLI) commits.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from civic.accounts.models import Role
from civic.core import audit, content
from civic.core.errors import NotFound, PermissionDenied, RateLimited, ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import is_user, require_login
from civic.core.sanitize import clean_text, render_markdown
from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.deliberation.models import (
    MAX_BODY,
    MAX_DEPTH,
    Alignment,
    Badge,
    Comment,
    CommentSettings,
    Debate,
    DebateSource,
    Reaction,
    ReactionValue,
    ReplyNotification,
)
from civic.extensions import db

# Setting keys (registered in civic.deliberation.init_app).
RESIDENTS_MAY_OPEN = "deliberation.residents_may_open_debates"
MIN_ACCOUNT_AGE_DAYS = "deliberation.comment_min_account_age_days"
REQUIRE_CONFIRMED_EMAIL = "deliberation.comment_require_confirmed_email"
RATE_LIMIT_PER_HOUR = "deliberation.comment_rate_limit_per_hour"
EDIT_WINDOW_MINUTES = "deliberation.comment_edit_window_minutes"
DIGEST_HOURS = "deliberation.reply_digest_hours"

TITLE_MAX = 200
SOURCES_MAX = 20


# --- who may do what -------------------------------------------------------------

def can_open_debate(user) -> bool:
    if not is_user(user) or user.is_blocked or not user.email_confirmed:
        return False
    return user.has_any_role(Role.OFFICIAL) or bool(get_setting(RESIDENTS_MAY_OPEN))


def is_official_for(user, district_id: int | None) -> bool:
    return is_user(user) and user.has_role(Role.OFFICIAL, district_id)


def comment_block_reason(user) -> str | None:
    """Why ``user`` may not comment or react now (None when they may).

    Shown in place of the comment form, and raised by the services.
    """
    if not is_user(user):
        return _("Please log in to do this.")
    if user.is_blocked:
        return _("Your account is blocked: you can read and appeal, but not contribute.")
    if get_setting(REQUIRE_CONFIRMED_EMAIL) and not user.email_confirmed:
        return _("Please confirm your email address first: we sent you a link.")
    days = get_setting(MIN_ACCOUNT_AGE_DAYS)
    if days and user.created_at + timedelta(days=days) > utcnow():
        from flask_babel import format_date

        return ngettext("New accounts can comment %(num)d day after they are created: from %(date)s.",
                        "New accounts can comment %(num)d days after they are created: from %(date)s.",
                        days, date=format_date(user.created_at + timedelta(days=days), "long"))
    return None


def _require_participant(actor) -> None:
    require_login(actor)
    reason = comment_block_reason(actor)
    if reason:
        raise PermissionDenied(reason)


def badge_for(user) -> Badge | None:
    """Officials' and moderators' comments carry a badge (admins hold every role)."""
    if user.has_any_role(Role.OFFICIAL):
        return Badge.OFFICIAL
    if user.has_any_role(Role.MODERATOR):
        return Badge.MODERATOR
    return None


# --- debates -----------------------------------------------------------------------

_SOURCE_LINE = re.compile(r"^(?P<title>.+?)\s*\|\s*(?P<url>\S+)$")


def parse_sources(text: str | None) -> list[tuple[str, str]]:
    """One source per line, "Title | https://...". Raises ValidationError on
    the ``sources`` field, naming the faulty line."""
    sources = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = clean_text(raw)
        if not line:
            continue
        m = _SOURCE_LINE.match(line)
        if not m or not re.match(r"^https?://[^\s/]+\.[^\s]+", m.group("url")) or len(m.group("url")) > 500:
            raise ValidationError(fields={"sources": _(
                "Line %(n)d: write a title, a vertical bar, then a link starting with https://", n=number)})
        sources.append((m.group("title")[:TITLE_MAX], m.group("url")))
    if len(sources) > SOURCES_MAX:
        raise ValidationError(fields={"sources": _("List at most %(n)d sources.", n=SOURCES_MAX)})
    return sources


def open_debate(actor, title: str, body: str, district_id: int | None = None, ends_at: datetime | None = None,
                sources: str | list[tuple[str, str]] | None = None) -> Debate:
    """Open a debate: officials always, residents when an administrator allows it."""
    require_login(actor)
    if not can_open_debate(actor):
        raise PermissionDenied()
    errors = {}
    title = clean_text(title)
    if not title:
        errors["title"] = _("Give the debate a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(n)d characters.", n=TITLE_MAX)
    body_source = clean_text(body, multiline=True)
    if not body_source:
        errors["body"] = _("Explain the question and what is at stake.")
    if ends_at is not None and ends_at <= utcnow():
        errors["ends_at"] = _("The end date must be in the future.")
    if district_id is not None:
        from civic.accounts.models import District

        if db.session.get(District, district_id) is None:
            errors["district_id"] = _("Choose a district from the list.")
    # An official limited to some districts opens debates there (residents, when allowed, anywhere).
    if "district_id" not in errors and not get_setting(RESIDENTS_MAY_OPEN) and not actor.has_role(
            Role.OFFICIAL, district_id):
        errors["district_id"] = _("You can open debates only in the districts you are an official for.")
    parsed_sources: list[tuple[str, str]] = []
    try:
        parsed_sources = parse_sources(sources) if isinstance(sources, str) or sources is None else list(sources)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    debate = Debate(title=title, body_source=body_source, body_html=render_markdown(body_source),
                    district_id=district_id, ends_at=ends_at, author_id=actor.id,
                    sources=[DebateSource(position=i, title=t, url=u) for i, (t, u) in enumerate(parsed_sources)])
    db.session.add(debate)
    db.session.flush()
    content.created("debate", debate, actor)
    audit.record(actor, "debate.opened", "debate", debate.id, district_id=district_id)
    return debate


def close_debate(actor, debate: Debate, conclusion: str) -> Debate:
    """Close a debate with a public conclusion (officials of its district). Audited."""
    require_login(actor)
    if not is_official_for(actor, debate.district_id):
        raise PermissionDenied()
    source = clean_text(conclusion, multiline=True)
    if not source:
        raise ValidationError(fields={"conclusion": _("Write the conclusion: what was heard, and what happens next.")})
    debate.close(actor.id, source, render_markdown(source))
    db.session.flush()
    audit.record(actor, "debate.closed", "debate", debate.id)
    return debate


def set_debate_hidden(debate: Debate, hidden: bool) -> None:
    """Moderation hook: hidden debates leave public pages, lists and the API."""
    debate.hidden_at = (debate.hidden_at or utcnow()) if hidden else None
    db.session.flush()


def redact_debate(debate: Debate, new_text: str) -> None:
    """Moderation hook: replace the framing text (moderation keeps the original)."""
    debate.body_source = clean_text(new_text, multiline=True)
    debate.body_html = render_markdown(debate.body_source)
    db.session.flush()


# --- comments: where they are accepted ------------------------------------------------

def comments_spec(kind_name: str) -> dict | None:
    """The kind's ``comments`` hook ({"alignment": bool}) or None."""
    spec = content.hook(kind_name, "comments")
    return spec if isinstance(spec, dict) else ({"alignment": False} if spec else None)


def comment_settings(kind_name: str, object_id: int) -> CommentSettings | None:
    return db.session.get(CommentSettings, (kind_name, object_id))


_NOT_LOADED = object()


def closed_reason(kind_name: str, obj, settings_row=_NOT_LOADED) -> str | None:
    """Why new comments are refused on this item now (None when open).

    ``settings_row``: the item's CommentSettings when the caller has already
    looked it up (None: the item has none), so the page asks only once."""
    row = comment_settings(kind_name, obj.id) if settings_row is _NOT_LOADED else settings_row
    if row is not None and row.closed_at is not None:
        return _("Comments are closed on this page.")
    is_open = content.hook(kind_name, "comments_open")
    if is_open is not None and not is_open(obj):
        return _("This is no longer open for comments.")
    return None


def _load_item(actor, kind_name: str, object_id: int):
    if comments_spec(kind_name) is None:
        raise NotFound()
    return content.load(kind_name, object_id, actor)


def _check_rate(actor) -> None:
    """At most N comments per person per rolling hour.

    Counted from the comments themselves, in the request's own transaction:
    they are rows anyway, the count cannot drift, and unlike a separate
    counter connection it never waits on this transaction's locks (SQLite).
    """
    limit = get_setting(RATE_LIMIT_PER_HOUR)
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalars(
        sa.select(Comment.created_at).where(Comment.author_id == actor.id, Comment.created_at > since)
        .order_by(Comment.created_at.desc()).limit(limit)).all()
    if len(recent) >= limit:
        # Free again when the oldest of the last ``limit`` comments leaves the hour.
        retry_after = max(1, int((recent[-1] + timedelta(hours=1) - utcnow()).total_seconds()))
        minutes = max(1, (retry_after + 59) // 60)
        raise RateLimited(ngettext(
            "You have posted %(limit)d comments in the last hour, the most we accept. You can post again in %(num)d minute.",
            "You have posted %(limit)d comments in the last hour, the most we accept. You can post again in %(num)d minutes.",
            minutes, limit=limit), retry_after=retry_after, fields={"body": _("Too many comments in one hour.")})


def _clean_body(body: str | None) -> str:
    source = clean_text(body, multiline=True)
    if not source:
        raise ValidationError(fields={"body": _("Write your comment.")})
    if len(source) > MAX_BODY:
        raise ValidationError(fields={"body": _(
            "Keep your comment under %(max)s characters (it has %(n)s).", max=format_decimal(MAX_BODY),
            n=format_decimal(len(source)))})
    return source


def _clean_alignment(value, *, sided: bool, required: bool) -> Alignment | None:
    if not sided:
        return None
    if value in (None, ""):
        if required:
            raise ValidationError(fields={"alignment": _("Say whether you are for, against, or neutral.")})
        return None
    try:
        return Alignment(value)
    except ValueError:
        raise ValidationError(fields={"alignment": _("Say whether you are for, against, or neutral.")}) from None


def post_comment(actor, kind_name: str, object_id: int, body: str, alignment: str | None = None,
                 parent_id: int | None = None) -> Comment:
    """Comment on an item of any kind that accepts comments, or reply to a comment.

    Top-level comments on sided kinds (debates, proposals) need an alignment;
    replies may give one. Replies go three levels deep at most and notify the
    parent's author in their next digest.
    """
    _require_participant(actor)
    _kind, obj = _load_item(actor, kind_name, object_id)
    reason = closed_reason(kind_name, obj)
    if reason:
        raise PermissionDenied(reason)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or (parent.kind, parent.object_id) != (kind_name, object_id) or parent.hidden_at:
            raise NotFound()
        if parent.deleted_at is not None:
            raise ValidationError(_("This comment was deleted by its author: you can no longer reply to it."))
        if parent.depth >= MAX_DEPTH:
            raise ValidationError(_("Replies go three levels deep at most: reply to the comment above instead."))
    sided = comments_spec(kind_name)["alignment"]
    errors = {}
    source = ""
    try:
        source = _clean_body(body)
    except ValidationError as err:
        errors.update(err.fields)
    try:
        align = _clean_alignment(alignment, sided=sided, required=parent is None)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    _check_rate(actor)
    comment = Comment(kind=kind_name, object_id=object_id, parent_id=parent.id if parent else None,
                      root_id=(parent.root_id or parent.id) if parent else None,
                      depth=parent.depth + 1 if parent else 0, author_id=actor.id, alignment=align,
                      badge=badge_for(actor), body_source=source, body_html=render_markdown(source))
    db.session.add(comment)
    db.session.flush()
    content.created("comment", comment, actor)
    audit.record(actor, "comment.created", "comment", comment.id, on_kind=kind_name, on_id=object_id)
    if parent is not None and parent.author_id and parent.author_id != actor.id:
        db.session.add(ReplyNotification(recipient_id=parent.author_id, comment_id=comment.id))
        db.session.flush()
        from civic.deliberation.jobs import send_reply_digest

        enqueue(send_reply_digest, parent.author_id)
    _count_changed(kind_name, object_id)
    return comment


def _count_changed(kind_name: str, object_id: int) -> None:
    """Tell the commented kind its visible comment count (proposals sort by it)."""
    hook = content.hook(kind_name, "comment_count_changed")
    if hook is None:
        return
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.kind == kind_name, Comment.object_id == object_id,
        Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)))
    _kind, obj = content.load(kind_name, object_id, check_visible=False)
    hook(obj, count)


def edit_deadline(comment: Comment) -> datetime:
    return comment.created_at + timedelta(minutes=get_setting(EDIT_WINDOW_MINUTES))


def can_edit(user, comment: Comment, now: datetime | None = None) -> bool:
    return (is_user(user) and comment.author_id == user.id and comment.deleted_at is None
            and comment.hidden_at is None and (now or utcnow()) < edit_deadline(comment))


def edit_comment(actor, comment: Comment, body: str, alignment: str | None = None) -> Comment:
    """The author corrects a comment within the edit window (10 minutes by default)."""
    require_login(actor)
    if comment.author_id != actor.id or comment.deleted_at is not None or comment.hidden_at is not None:
        raise PermissionDenied()
    if utcnow() >= edit_deadline(comment):
        raise PermissionDenied(_("The time to edit this comment is over. You can still delete it."))
    sided = (comments_spec(comment.kind) or {}).get("alignment", False)
    errors = {}
    source = ""
    try:
        source = _clean_body(body)
    except ValidationError as err:
        errors.update(err.fields)
    try:
        align = _clean_alignment(alignment, sided=sided, required=comment.parent_id is None)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    comment.body_source, comment.body_html = source, render_markdown(source)
    comment.alignment = align
    comment.edited_at = utcnow()
    db.session.flush()
    audit.record(actor, "comment.edited", "comment", comment.id)
    return comment


def delete_comment(actor, comment: Comment) -> Comment:
    """The author deletes their comment: the text goes, the place in the thread stays."""
    require_login(actor)
    if comment.author_id != actor.id:
        raise PermissionDenied()
    if comment.deleted_at is None:
        comment.deleted_at = utcnow()
        comment.body_source = ""
        comment.body_html = ""
        comment.is_official_answer = False
        db.session.flush()
        audit.record(actor, "comment.deleted", "comment", comment.id)
        _count_changed(comment.kind, comment.object_id)
    return comment


def react(actor, comment: Comment, value: str | None) -> Reaction | None:
    """Say a comment is "useful" or "not useful" (or take it back with None).

    One reaction per person per comment, enforced by a unique constraint; a
    new choice replaces the previous one. Not on one's own comments.
    """
    _require_participant(actor)
    _kind, obj = _load_item(actor, comment.kind, comment.object_id)
    if comment.hidden_at is not None or comment.deleted_at is not None:
        raise NotFound()
    if comment.author_id == actor.id:
        raise PermissionDenied(_("You cannot rate your own comment."))
    reason = closed_reason(comment.kind, obj)
    if reason:
        raise PermissionDenied(reason)
    existing = db.session.scalar(sa.select(Reaction).where(Reaction.comment_id == comment.id,
                                                           Reaction.user_id == actor.id))
    if value in (None, "", "none"):
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        return None
    try:
        choice = ReactionValue(value)
    except ValueError:
        raise ValidationError(fields={"value": _("Choose “useful” or “not useful”.")}) from None
    if existing is not None:
        existing.value = choice
        db.session.flush()
        return existing
    reaction = Reaction(comment_id=comment.id, user_id=actor.id, value=choice)
    try:
        # A double click can race the first insert: the constraint decides, we keep the latest choice.
        with db.session.begin_nested():
            db.session.add(reaction)
    except sa.exc.IntegrityError:
        reaction = db.session.scalar(sa.select(Reaction).where(Reaction.comment_id == comment.id,
                                                               Reaction.user_id == actor.id))
        reaction.value = choice
        db.session.flush()
    return reaction


def _item_district(kind_name: str, obj) -> int | None:
    return content.get_kind(kind_name).district_id(obj)


def mark_official_answer(actor, comment: Comment, marked: bool = True) -> Comment:
    """An official marks their own comment as the official answer (or unmarks it)."""
    require_login(actor)
    _kind, obj = _load_item(actor, comment.kind, comment.object_id)
    if comment.author_id != actor.id or not is_official_for(actor, _item_district(comment.kind, obj)):
        raise PermissionDenied(_("Only the official who wrote a comment can mark it as the official answer."))
    if comment.deleted_at is not None or comment.hidden_at is not None:
        raise NotFound()
    if comment.is_official_answer != marked:
        comment.is_official_answer = marked
        db.session.flush()
        audit.record(actor, "comment.official_answer" if marked else "comment.official_answer_removed",
                     "comment", comment.id)
    return comment


def close_comments(actor, kind_name: str, object_id: int, reason: str | None = None) -> CommentSettings:
    """Officials of the item's district close its comments (e.g. a closed petition). Audited."""
    require_login(actor)
    _kind, obj = _load_item(actor, kind_name, object_id)
    if not is_official_for(actor, _item_district(kind_name, obj)):
        raise PermissionDenied()
    row = comment_settings(kind_name, object_id)
    if row is None:
        row = CommentSettings(kind=kind_name, object_id=object_id)
        db.session.add(row)
    if row.closed_at is None:
        row.closed_at, row.closed_by_id = utcnow(), actor.id
        row.reason = clean_text(reason)[:300] or None
        db.session.flush()
        audit.record(actor, "comments.closed", kind_name, object_id, reason=row.reason)
    return row


def reopen_comments(actor, kind_name: str, object_id: int) -> None:
    """Officials of the item's district open its comments again. Audited."""
    require_login(actor)
    _kind, obj = _load_item(actor, kind_name, object_id)
    if not is_official_for(actor, _item_district(kind_name, obj)):
        raise PermissionDenied()
    row = comment_settings(kind_name, object_id)
    if row is not None and row.closed_at is not None:
        row.closed_at, row.closed_by_id, row.reason = None, None, None
        db.session.flush()
        audit.record(actor, "comments.reopened", kind_name, object_id)


# --- moderation hooks on comments ---------------------------------------------------------

def set_comment_hidden(comment: Comment, hidden: bool) -> None:
    comment.hidden_at = (comment.hidden_at or utcnow()) if hidden else None
    db.session.flush()
    _count_changed(comment.kind, comment.object_id)


def redact_comment(comment: Comment, new_text: str) -> None:
    comment.body_source = clean_text(new_text, multiline=True)
    comment.body_html = render_markdown(comment.body_source)
    db.session.flush()


# --- personal data ---------------------------------------------------------------------------

def export_personal_data(user) -> dict:
    """What the module holds about ``user``: comments, reactions, debates opened."""
    comments = db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id).order_by(Comment.id)).all()
    reactions = db.session.scalars(sa.select(Reaction).where(Reaction.user_id == user.id).order_by(Reaction.id)).all()
    debates = db.session.scalars(sa.select(Debate).where(Debate.author_id == user.id).order_by(Debate.id)).all()
    return {
        "comments": [{"id": c.id, "on": f"{c.kind}/{c.object_id}", "in_reply_to": c.parent_id,
                      "alignment": c.alignment.value if c.alignment else None, "text": c.body_source,
                      "created_at": c.created_at.isoformat() + "Z",
                      "deleted_at": c.deleted_at.isoformat() + "Z" if c.deleted_at else None} for c in comments],
        "reactions": [{"comment_id": r.comment_id, "value": r.value.value,
                       "created_at": r.created_at.isoformat() + "Z"} for r in reactions],
        "debates_opened": [{"id": d.id, "title": d.title, "created_at": d.created_at.isoformat() + "Z"}
                           for d in debates],
    }


def erase_personal_data(user) -> None:
    """Account deletion: contributions stay (shown as from a deleted account);
    pending reply notifications, which only serve the person, go."""
    db.session.execute(sa.delete(ReplyNotification).where(ReplyNotification.recipient_id == user.id))
    db.session.flush()
