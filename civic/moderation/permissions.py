"""Moderation's own rules, written in core's vocabulary
(``civic.core.permissions``: ``is_moderator_for`` is the one "moderator for
this item" of every module). Services ``require()`` these predicates first;
views and templates (``moderation_permissions`` in Jinja) call the same ones
to show or hide an action."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core.permissions import (
    MODERATOR,
    Refusal,
    contributor_refusal,
    districts_of,
    has_any_role,
    is_moderator_for,
    is_user,
)
from civic.core.time import utcnow
from civic.moderation.models import APPEALABLE, DecisionType


def can_view_queue(actor) -> bool:
    """The moderators' pages (the queue, appeals waiting, a person's
    history): a moderator somewhere, or an administrator. What each page
    lists is limited by :func:`moderated_scope`."""
    return has_any_role(actor, MODERATOR)


def moderates_everywhere(actor) -> bool:
    """Moderator without district limits (or administrator): sees every
    district's items, and city-wide ones."""
    return is_moderator_for(actor, None)


def can_moderate_case(actor, case) -> bool:
    """See and decide a case: moderator for the item's district (a city-wide
    item needs a city-wide grant)."""
    return is_moderator_for(actor, case.district_id)


def can_review_appeal(actor, appeal) -> bool:
    """Read an appeal: moderator for the district of the decision appealed."""
    return is_moderator_for(actor, appeal.decision.district_id)


def can_decide_appeal(actor, appeal):
    """Decide an appeal: a moderator of its district other than the one who
    took the decision."""
    if not can_review_appeal(actor, appeal):
        return False
    if appeal.decision.moderator_id == actor.id:
        return Refusal(_("You took the original decision: another moderator must decide the appeal."))
    return True


def can_block_user(actor, user=None) -> bool:
    """Blocks apply to the whole platform: only moderators without district
    limits (or administrators) block and unblock."""
    return moderates_everywhere(actor)


def can_skip_premoderation(actor, district_id: int | None) -> bool:
    """A moderator's own contributions in their districts are not held for
    pre-moderation."""
    return is_moderator_for(actor, district_id)


def can_open_report_form(actor, kind, obj) -> bool:
    """The report link on an item: every logged-in person but its author (the
    form tells someone who may not contribute why they cannot report)."""
    return is_user(actor) and kind.author_id(obj) != actor.id


def can_report_item(actor, kind, obj):
    """Report an item: a contributor (confirmed address, not blocked), not on
    their own contribution. (Seeing the item is ``kind.can_view``.)"""
    refusal = contributor_refusal(actor)
    if refusal is not None:
        return refusal
    if kind.author_id(obj) == actor.id:
        return Refusal(_("You cannot report your own contribution."))
    return True


def appeal_refusal(decision) -> str | None:
    """Why a decision can no longer be appealed by the person it is about, or
    None: kept content is in their favour, an appeal is made once, an ended
    block is over."""
    if decision.type not in APPEALABLE:
        return _("This decision is in your favour: there is nothing to appeal.")
    if decision.appeal is not None:
        return _("You have already appealed this decision.")
    if decision.type == DecisionType.BLOCK and (decision.lifted_at is not None or decision.block_until <= utcnow()):
        return _("This block has already ended.")
    return None


def can_appeal_decision(actor, decision) -> bool:
    """The person a decision is about may appeal it, once, while it applies
    (blocked people too: a block is itself appealable)."""
    return is_user(actor) and decision.subject_user_id == actor.id and appeal_refusal(decision) is None


def moderated_scope(actor, column):
    """SQL condition limiting ``column`` (a district id) to the districts the
    actor moderates, the same rule as :func:`can_moderate_case` for lists
    (the queue, appeals, a person's decisions and reports): city-wide items
    and platform-wide blocks (NULL) only for moderators without district
    limits."""
    scope = districts_of(actor, MODERATOR)
    if scope is None:
        return sa.true()
    if not scope:
        return sa.false()
    return column.in_(sorted(scope))
