"""Who may do what with petitions: the one place each rule lives.

The services ``require()`` these predicates first; the views and templates
(as the Jinja global ``petitions_permissions``) call the same ones to show or
hide an action. Built on the shared vocabulary of
:mod:`civic.core.permissions`, so "moderator for this petition" means the
same here as in the moderation module.
"""

from __future__ import annotations

import sqlalchemy as sa

from civic.core.permissions import (
    MODERATOR,
    contributor_refusal,
    districts_of,
    has_any_role,
    has_role,
    is_admin,
    is_contributor,
    is_mediator_for,
    is_moderator_for,
    is_official_for,
    is_user,
)
from civic.petitions.models import PUBLIC_STATES, Petition, PetitionState


def _logged_in(actor, allowed: bool):
    """``allowed`` for a logged-in actor; for anyone else the core's Refusal
    asking them to log in (the message ``require_role`` gives)."""
    return allowed if is_user(actor) else contributor_refusal(actor)


def is_creator(actor, petition: Petition) -> bool:
    """The person who started the petition (not a permission by itself: the
    creator's actions also need them to be a contributor)."""
    return is_user(actor) and petition.creator_id == actor.id


def can_view_petition(actor, petition: Petition) -> bool:
    """Public states are visible to all; drafts, sponsor collection, moderation
    and hidden petitions to their creator and moderators; removed ones only to
    moderators (others get 410 Gone)."""
    if petition.state in PUBLIC_STATES:
        return True
    if petition.state == PetitionState.REMOVED:
        return bool(can_moderate_petition(actor, petition))
    return is_creator(actor, petition) or bool(can_moderate_petition(actor, petition))


def can_create_petition(actor):
    """Logged in, address confirmed, not blocked (True or a Refusal saying why)."""
    return is_contributor(actor)


def can_sign_in_one_click(actor) -> bool:
    """A contributor signs with their account's confirmed address, without
    the mailed confirmation; anyone else signs through the form."""
    return bool(is_contributor(actor))


def can_edit_petition(actor, petition: Petition):
    """The creator, while a contributor, changes and submits their draft,
    and writes updates to the signers once it is public."""
    allowed = is_contributor(actor)
    if not allowed:
        return allowed
    return is_creator(actor, petition)


can_post_update = can_edit_petition


def can_respond_to_petition(actor, petition: Petition):
    """Officials of the petition's district publish its response and debate outcome."""
    return _logged_in(actor, is_official_for(actor, petition.district_id))


def can_record_paper_signatures(actor, petition: Petition):
    """Mediators of the petition's district enter the signatures collected on paper."""
    return _logged_in(actor, is_mediator_for(actor, petition.district_id))


def can_moderate_petitions(actor):
    """A moderator of some district (or city-wide): the moderation queue,
    its pages and the hourly traffic reports (each limited to the petitions
    of :func:`moderated_petitions`)."""
    return _logged_in(actor, has_any_role(actor, MODERATOR))


def moderated_petitions(actor, district_column):
    """SQL condition on a petition's district: the petitions the actor
    moderates, the rule of :func:`can_moderate_petition` for lists (the
    queue, the traffic report). A district moderator sees their districts
    only; city-wide petitions (NULL) need a city-wide grant."""
    scope = districts_of(actor, MODERATOR)
    if scope is None:
        return sa.true()
    if not scope:
        return sa.false()
    return district_column.in_(sorted(scope))


def can_moderate_petition(actor, petition: Petition):
    """A moderator for the petition's district: take, decide, remove, restore."""
    return _logged_in(actor, is_moderator_for(actor, petition.district_id))


def can_invalidate_signatures(actor):
    """City-wide moderators: an invalidation run may reach every petition."""
    return _logged_in(actor, has_role(actor, MODERATOR))


# --- legal requests to the council (CGCT L1112-16) -----------------------------------

def can_handle_legal_request(actor, petition: Petition):
    """The mayor's office (city-wide officials) acknowledges receipt of a
    legal request, records the session at which the council was informed
    and the council's decision."""
    return _logged_in(actor, petition.legal_kind is not None and is_official_for(actor, None))


def can_download_signers(actor, petition: Petition):
    """The list of a legal request's signers is never public: the mayor's
    office downloads it to verify the signatures (audited)."""
    return _logged_in(actor, petition.legal_kind is not None and is_official_for(actor, None))


def can_manage_council_sessions(actor):
    """Administrators keep the calendar of the council's sessions."""
    return _logged_in(actor, is_admin(actor))
