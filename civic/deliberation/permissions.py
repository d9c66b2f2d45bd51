"""Who may do what in deliberation: the one place each rule lives.

Services ``require()`` these predicates first; views and templates (through
the ``deliberation_permissions`` Jinja global) call the same ones to show or
hide an action. They are built on the shared vocabulary of
:mod:`civic.core.permissions`. Whether an item accepts comments *now* (closed
by an official, or by its own kind) is a state, not a permission: it is
``services.closed_reason``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from civic.core import content
from civic.core.permissions import (
    OFFICIAL,
    Refusal,
    contributor_refusal,
    has_any_role,
    is_moderator_for,
    is_official_for,
    is_user,
)
from civic.core.settings import get_setting
from civic.core.time import utcnow
from civic.deliberation.models import Badge, Comment, Debate
from civic.deliberation.settings import (
    EDIT_WINDOW_MINUTES,
    MIN_ACCOUNT_AGE_DAYS,
    REQUIRE_CONFIRMED_EMAIL,
    RESIDENTS_MAY_OPEN,
)
from civic.extensions import db

# --- debates ------------------------------------------------------------------------


def can_view_debate(actor, debate: Debate) -> bool:
    """Everyone, unless moderation hid it: then the moderators of its district."""
    return debate.hidden_at is None or is_moderator_for(actor, debate.district_id)


def can_open_debate(actor) -> bool:
    """Contributors who are officials somewhere, or every contributor when an
    administrator lets residents open debates."""
    return bool(contributor_refusal(actor) is None
                and (has_any_role(actor, OFFICIAL) or get_setting(RESIDENTS_MAY_OPEN)))


def can_open_debate_in(actor, district_id: int | None) -> bool:
    """Where the actor may open one: an official limited to some districts
    opens debates there; residents, when allowed, anywhere."""
    return bool(get_setting(RESIDENTS_MAY_OPEN)) or is_official_for(actor, district_id)


def opens_debates_as_official(actor) -> bool:
    """Officials (somewhere) open debates for their office: the higher daily
    limit of ``services.DEBATES_PER_DAY_OFFICIAL`` applies to them."""
    return has_any_role(actor, OFFICIAL)


def can_close_debate(actor, debate: Debate) -> bool:
    """The officials of the debate's district close it with a conclusion
    (whether it is still open is the debate flow's question)."""
    return is_official_for(actor, debate.district_id)


# --- comments -----------------------------------------------------------------------


def can_comment(actor):
    """Whether the actor may comment or rate comments now, whatever the item:
    True, or a :class:`Refusal` saying why (shown in place of the form).

    The core contributor rules, except that a confirmed address is a setting
    here, plus the minimum account age."""
    refusal = contributor_refusal(actor)
    if refusal is not None and (not is_user(actor) or actor.is_blocked or get_setting(REQUIRE_CONFIRMED_EMAIL)):
        return refusal
    days = get_setting(MIN_ACCOUNT_AGE_DAYS)
    if days and actor.created_at + timedelta(days=days) > utcnow():
        return Refusal(ngettext("New accounts can comment %(num)d day after they are created: from %(date)s.",
                                "New accounts can comment %(num)d days after they are created: from %(date)s.",
                                days, date=format_date(actor.created_at + timedelta(days=days), "long")))
    return True


def can_react(actor, comment: Comment):
    """Rate a comment "useful" or not: those who may comment, never on their own."""
    allowed = can_comment(actor)
    if allowed and comment.author_id == actor.id:
        return Refusal(_("You cannot rate your own comment."))
    return allowed


def edit_deadline(comment: Comment) -> datetime:
    """Until when the author may edit the comment (the edit-window setting)."""
    return comment.created_at + timedelta(minutes=get_setting(EDIT_WINDOW_MINUTES))


def can_edit_comment(actor, comment: Comment, now: datetime | None = None):
    """The author, within the edit window, on a comment still shown. Past the
    window, a Refusal that says they can still delete it."""
    if not can_delete_comment(actor, comment) or comment.deleted_at is not None or comment.hidden_at is not None:
        return False
    if (now or utcnow()) >= edit_deadline(comment):
        return Refusal(_("The time to edit this comment is over. You can still delete it."))
    return True


def can_delete_comment(actor, comment: Comment) -> bool:
    """Only the author deletes a comment (moderators hide it instead)."""
    return is_user(actor) and comment.author_id == actor.id


def can_badge_comment(actor, badge: Badge) -> bool:
    """Whether the actor's comments carry ``badge``: officials' and
    moderators' standing anywhere (admins hold every role)."""
    return has_any_role(actor, badge.value)


def can_mark_official_answer(actor, comment: Comment, district_id: int | None):
    """An official of the item's district marks their own comment as the
    official answer (``district_id``: the commented item's)."""
    if not (can_delete_comment(actor, comment) and is_official_for(actor, district_id)):
        return Refusal(_("Only the official who wrote a comment can mark it as the official answer."))
    return True


def can_close_comments(actor, district_id: int | None) -> bool:
    """The officials of the item's district close and reopen its comments."""
    return is_official_for(actor, district_id)


def can_view_comment(actor, comment: Comment) -> bool:
    """Those who may see the commented item; a comment hidden by moderation,
    only the moderators of the item's district."""
    kind = content.get_kind(comment.kind)
    obj = db.session.get(kind.model, comment.object_id)
    if obj is None or not kind.can_view(actor, obj):
        return False
    return comment.hidden_at is None or is_moderator_for(actor, kind.district_id(obj))
