"""Who may do what in citizens' assemblies: the one place each rule lives.

Services ``require()`` these first; views and templates (as the Jinja global
``assemblies_permissions``) call the same predicates. Built on the shared
vocabulary of :mod:`civic.core.permissions`.
"""

from __future__ import annotations

from civic.assemblies.models import Assembly, Member, Recommendation, SelectionState
from civic.core.permissions import (
    MODERATOR,
    has_any_role,
    is_admin,
    is_mediator_for,
    is_moderator_for,
    is_official_for,
    is_user,
)


def can_create_assembly(actor) -> bool:
    """Admins set up an assembly (as a draft)."""
    return is_admin(actor)


def can_manage_assembly(actor, assembly: Assembly | None = None) -> bool:
    """Admins edit the assembly: mandate, state, calendar, documents, hearings,
    groups, members and the recommendations adopted."""
    return is_admin(actor)


def can_view_assembly(actor, assembly: Assembly) -> bool:
    """Public once out of draft; drafts only for those who manage them."""
    return assembly.is_published or can_manage_assembly(actor, assembly)


def can_view_drafts(actor) -> bool:
    """The list shows drafts to admins."""
    return is_admin(actor)


def can_view_recommendation(actor, rec: Recommendation) -> bool:
    """Visible in a visible assembly; a hidden one only to moderators of its district."""
    if not can_view_assembly(actor, rec.assembly):
        return False
    return not rec.hidden or is_moderator_for(actor, rec.assembly.district_id)


def can_view_hidden_recommendations(actor) -> bool:
    return has_any_role(actor, MODERATOR)


def can_answer_recommendation(actor, rec: Recommendation) -> bool:
    """Officials of the assembly's district (city-wide officials for a city-wide
    assembly) give the official answer and post implementation updates."""
    return rec.assembly.is_published and is_official_for(actor, rec.assembly.district_id)


def can_update_implementation(actor, rec: Recommendation) -> bool:
    """Follow-up comes after the answer, from the same officials."""
    return rec.answered_at is not None and can_answer_recommendation(actor, rec)


def is_member(actor, member: Member) -> bool:
    return is_user(actor) and member.user_id is not None and member.user_id == actor.id


def can_set_name_shown(actor, member: Member) -> bool:
    """Each member chooses whether their first name is shown."""
    return is_member(actor, member)


# --- the draw: invitations, volunteers, quotas, selection ---------------------------

def can_manage_selection(actor, assembly: Assembly) -> bool:
    """Admins run the draw: invitations, letters, quotas, commitment, draw,
    replacements, closing; they alone see the pool's personal data."""
    return is_admin(actor)


def can_register_interest(actor, selection) -> bool:
    """Anyone holding a letter's code registers while the pool is open (the
    code is the credential), once the assembly is public."""
    return selection.state == SelectionState.OPEN and selection.assembly.is_published


def can_record_interest(actor, selection) -> bool:
    """Mediators of the assembly's district register an invited person for
    them (by phone or at the town-hall counter) while the pool is open."""
    return is_mediator_for(actor, selection.assembly.district_id) and can_register_interest(actor, selection)


def can_view_selection_report(actor, selection) -> bool:
    """The public report (no personal data) is seen by whoever sees the assembly."""
    return can_view_assembly(actor, selection.assembly)
