"""Deliberation services: the only writers of debates, comments and reactions.

Every function takes the actor as its first argument, checks permission
first (the rules are in :mod:`civic.deliberation.permissions`), validates,
writes, records the audit entry and outbox rows, and flushes. The caller
(view, API, job, CLI) commits.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from civic.accounts.models import District
from civic.core import audit, content, events, follows, security
from civic.core.errors import NotFound, PermissionDenied, ValidationError
from civic.core.export import iso
from civic.core.jobs import enqueue
from civic.core.permissions import OFFICIAL, has_any_role, require, require_login
from civic.core.sanitize import clean_text, render_markdown
from civic.core.settings import get_setting
from civic.core.time import end_of_day, utcnow
from civic.core.transitions import transition
from civic.deliberation import permissions
from civic.deliberation.jobs import send_reply_digest
from civic.deliberation.models import (
    DEBATE_FLOW,
    MAX_BODY,
    MAX_DEPTH,
    Alignment,
    Badge,
    Comment,
    CommentSettings,
    Debate,
    DebateSource,
    DebateState,
    Reaction,
    ReactionValue,
    ReplyNotification,
)
from civic.deliberation.settings import (  # noqa: F401  (the keys, as services.X for callers and tests)
    DIGEST_HOURS,
    EDIT_WINDOW_MINUTES,
    MIN_ACCOUNT_AGE_DAYS,
    RATE_LIMIT_PER_HOUR,
    REQUIRE_CONFIRMED_EMAIL,
    RESIDENTS_MAY_OPEN,
)
from civic.extensions import db

TITLE_MAX = 200
SOURCES_MAX = 20
# Debates opened per person and day: a resident frames a question or two; an
# official's office may open several for one council meeting.
DEBATES_PER_DAY_RESIDENT = 3
DEBATES_PER_DAY_OFFICIAL = 20
DAY = 86400


def badge_for(user) -> Badge | None:
    """The badge a new comment of ``user`` carries: officials' first, then
    moderators' (see ``permissions.can_badge_comment``)."""
    return next((b for b in (Badge.OFFICIAL, Badge.MODERATOR) if permissions.can_badge_comment(user, b)), None)


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


def parse_source_rows(rows) -> list[tuple[str, str]]:
    """Sources from the structured editor's rows ``{"title": ..., "url": ...}``
    (blank rows skipped): a link starting with http(s)://, the title defaults
    to the link. A message names the row's input (``sources-<index>-url``)."""
    errors, sources = {}, []
    for i, row in enumerate(rows or ()):
        title, url = clean_text(str(row.get("title") or "")), str(row.get("url") or "").strip()
        if not title and not url:
            continue
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", url) or len(url) > 500:
            errors[f"sources-{i}-url"] = _("Enter a link starting with https:// (or http://).")
        if len(title) > TITLE_MAX:
            errors[f"sources-{i}-title"] = _("Keep the title under %(n)d characters.", n=TITLE_MAX)
        sources.append((title or url, url))
    if not errors and len(sources) > SOURCES_MAX:
        errors["sources"] = _("List at most %(n)d sources.", n=SOURCES_MAX)
    if errors:
        raise ValidationError(fields=errors)
    return sources


def open_debate(actor, title: str, body: str, district_id: int | None = None, ends_on: date | None = None,
                sources: str | list | None = None) -> Debate:
    """Open a debate: officials always, residents when an administrator allows it.

    ``ends_on``: the last local day contributions are accepted (stored as
    the exclusive end, local midnight after it), or None until it is closed.
    ``sources``: the form's rows ``[{"title", "url"}]`` (messages on
    ``sources-<i>-url``), ``(title, url)`` pairs, or "Title | https://..." lines."""
    require_login(actor)
    require(permissions.can_open_debate(actor))
    errors = {}
    title = clean_text(title)
    if not title:
        errors["title"] = _("Give the debate a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(n)d characters.", n=TITLE_MAX)
    body_source = clean_text(body, multiline=True)
    if not body_source:
        errors["body"] = _("Explain the question and what is at stake.")
    ends_at = end_of_day(ends_on) if ends_on is not None else None
    if ends_at is not None and ends_at <= utcnow():
        errors["ends_at"] = _("The end date must be in the future.")
    if district_id is not None and db.session.get(District, district_id) is None:
        errors["district_id"] = _("Choose a district from the list.")
    if "district_id" not in errors and not permissions.can_open_debate_in(actor, district_id):
        errors["district_id"] = _("You can open debates only in the districts you are an official for.")
    parsed_sources: list[tuple[str, str]] = []
    try:
        if isinstance(sources, str) or sources is None:
            parsed_sources = parse_sources(sources)
        elif all(isinstance(row, dict) for row in sources):
            parsed_sources = parse_source_rows(sources)  # the form's rows
        else:
            parsed_sources = list(sources)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    _limit_debates(actor)
    debate = Debate(title=title, body_source=body_source, body_html=render_markdown(body_source),
                    district_id=district_id, ends_at=ends_at, author_id=actor.id,
                    sources=[DebateSource(position=i, title=t, url=u) for i, (t, u) in enumerate(parsed_sources)])
    db.session.add(debate)
    db.session.flush()
    content.created("debate", debate, actor)
    audit.record(actor, "debate.opened", "debate", debate.id, district_id=district_id)
    return debate


def _limit_debates(actor) -> None:
    limit = DEBATES_PER_DAY_OFFICIAL if permissions.opens_debates_as_official(actor) else DEBATES_PER_DAY_RESIDENT

    def message(retry_after: int) -> str:
        return ngettext("You have opened %(limit)d debates today, the most one person can open in a day. "
                        "You can open another in %(num)d hour; your text is kept below.",
                        "You have opened %(limit)d debates today, the most one person can open in a day. "
                        "You can open another in %(num)d hours; your text is kept below.",
                        security.wait_hours(retry_after), limit=limit)

    security.require_within(f"debate-open:{actor.id}", limit, DAY, message)


def close_debate(actor, debate: Debate, conclusion: str) -> Debate:
    """Close a debate with a public conclusion (officials of its district),
    once: a closed debate raises InvalidTransition. Audited."""
    require_login(actor)
    require(permissions.can_close_debate(actor, debate))
    source = clean_text(conclusion, multiline=True)
    if not source:
        raise ValidationError(fields={"conclusion": _("Write the conclusion: what was heard, and what happens next.")})
    # The database wants the closing date and the conclusion with the closed state (ck_debate_closed_has_conclusion).
    transition(debate, DEBATE_FLOW, DebateState.CLOSED, actor, "debate.closed", stamp="closed_at")
    debate.closed_by_id = actor.id
    debate.conclusion_source, debate.conclusion_html = source, render_markdown(source)
    db.session.flush()
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
    """The item's comment settings row (closed by an official, and why), if any."""
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
    """The commented item, if its kind accepts comments and the actor may see it."""
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
        raise security.limited(ngettext(
            "You have posted %(limit)d comments in the last hour, the most we accept. You can post again in %(num)d minute.",
            "You have posted %(limit)d comments in the last hour, the most we accept. You can post again in %(num)d minutes.",
            minutes, limit=limit), retry_after)


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


def _clean_comment(kind_name: str, body: str | None, alignment, *, top_level: bool) -> tuple[str, Alignment | None]:
    """The cleaned text and side of a new or edited comment, every field's
    error at once (top-level comments on sided kinds need a side)."""
    sided = (comments_spec(kind_name) or {}).get("alignment", False)
    errors = {}
    source, align = "", None
    try:
        source = _clean_body(body)
    except ValidationError as err:
        errors.update(err.fields)
    try:
        align = _clean_alignment(alignment, sided=sided, required=top_level)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(fields=errors)
    return source, align


def require_open(kind_name: str, obj) -> None:
    """Refuse (PermissionDenied, with the reason) when the item takes no new comments now."""
    reason = closed_reason(kind_name, obj)
    if reason:
        raise PermissionDenied(reason)


def post_comment(actor, kind_name: str, object_id: int, body: str, alignment: str | None = None,
                 parent_id: int | None = None) -> Comment:
    """Comment on an item of any kind that accepts comments, or reply to a comment.

    Top-level comments on sided kinds (debates, proposals) need an alignment;
    replies may give one. Replies go three levels deep at most and notify the
    parent's author in their next digest.
    """
    require_login(actor)
    require(permissions.can_comment(actor))
    _kind, obj = _load_item(actor, kind_name, object_id)
    require_open(kind_name, obj)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or (parent.kind, parent.object_id) != (kind_name, object_id) or parent.hidden_at:
            raise NotFound()
        if parent.deleted_at is not None:
            raise ValidationError(_("This comment was deleted by its author: you can no longer reply to it."))
        if parent.depth >= MAX_DEPTH:
            raise ValidationError(_("Replies go three levels deep at most: reply to the comment above instead."))
    source, align = _clean_comment(kind_name, body, alignment, top_level=parent is None)
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
        enqueue(send_reply_digest, parent.author_id)
        events.emit("comment", parent.id, "comment_reply", actor_id=actor.id,
                    concerned_user_ids=[parent.author_id], data={"reply_id": comment.id, events.MODULE_MAILED: True})
    follows.auto_follow(actor, kind_name, object_id)
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


def edit_comment(actor, comment: Comment, body: str, alignment: str | None = None) -> Comment:
    """The author corrects a comment within the edit window (10 minutes by default)."""
    require_login(actor)
    require(permissions.can_edit_comment(actor, comment))
    source, align = _clean_comment(comment.kind, body, alignment, top_level=comment.parent_id is None)
    comment.body_source, comment.body_html = source, render_markdown(source)
    comment.alignment = align
    comment.edited_at = utcnow()
    db.session.flush()
    audit.record(actor, "comment.edited", "comment", comment.id)
    return comment


def delete_comment(actor, comment: Comment) -> Comment:
    """The author deletes their comment: the text goes, the place in the thread stays."""
    require_login(actor)
    require(permissions.can_delete_comment(actor, comment))
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
    require_login(actor)
    require(permissions.can_comment(actor))
    _kind, obj = _load_item(actor, comment.kind, comment.object_id)
    if comment.hidden_at is not None or comment.deleted_at is not None:
        raise NotFound()
    require(permissions.can_react(actor, comment))
    require_open(comment.kind, obj)
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


def item_district(kind_name: str, obj) -> int | None:
    """The district of a commented item, as its kind says (None: city-wide)."""
    return content.get_kind(kind_name).district_id(obj)


def mark_official_answer(actor, comment: Comment, marked: bool = True) -> Comment:
    """An official marks their own comment as the official answer (or unmarks it)."""
    require_login(actor)
    # Only officials may: refuse everyone else before looking the item up.
    require(has_any_role(actor, OFFICIAL))
    _kind, obj = _load_item(actor, comment.kind, comment.object_id)
    require(permissions.can_mark_official_answer(actor, comment, item_district(comment.kind, obj)))
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
    # Only officials may: refuse everyone else before looking the item up.
    require(has_any_role(actor, OFFICIAL))
    _kind, obj = _load_item(actor, kind_name, object_id)
    require(permissions.can_close_comments(actor, item_district(kind_name, obj)))
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
    # Only officials may: refuse everyone else before looking the item up.
    require(has_any_role(actor, OFFICIAL))
    _kind, obj = _load_item(actor, kind_name, object_id)
    require(permissions.can_close_comments(actor, item_district(kind_name, obj)))
    row = comment_settings(kind_name, object_id)
    if row is not None and row.closed_at is not None:
        row.closed_at, row.closed_by_id, row.reason = None, None, None
        db.session.flush()
        audit.record(actor, "comments.reopened", kind_name, object_id)


# --- moderation hooks on comments ---------------------------------------------------------

def set_comment_hidden(comment: Comment, hidden: bool) -> None:
    """Moderation hook: a hidden comment keeps its place as a placeholder; the item's count changes."""
    comment.hidden_at = (comment.hidden_at or utcnow()) if hidden else None
    db.session.flush()
    _count_changed(comment.kind, comment.object_id)


def redact_comment(comment: Comment, new_text: str) -> None:
    """Moderation hook: replace the text (moderation keeps the original)."""
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
                      "created_at": iso(c.created_at), "deleted_at": iso(c.deleted_at)} for c in comments],
        "reactions": [{"comment_id": r.comment_id, "value": r.value.value,
                       "created_at": iso(r.created_at)} for r in reactions],
        "debates_opened": [{"id": d.id, "title": d.title, "created_at": iso(d.created_at)}
                           for d in debates],
    }


def erase_personal_data(user) -> None:
    """Account deletion: contributions stay (shown as from a deleted account);
    pending reply notifications, which only serve the person, go."""
    db.session.execute(sa.delete(ReplyNotification).where(ReplyNotification.recipient_id == user.id))
    db.session.flush()
