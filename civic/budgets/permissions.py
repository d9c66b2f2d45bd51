"""Who may do what in participatory budgets: the one place each rule lives.

Services ``require()`` these predicates first; views and templates (as the
Jinja global ``budgets_permissions``) call the same ones to show or hide an
action. Built on the shared vocabulary of :mod:`civic.core.permissions`; an
envelope's ``district_id`` None is the whole city, which needs a city-wide
grant (a district official runs their district's projects only).
"""

from __future__ import annotations

from flask_babel import gettext as _

from civic.accounts.verification import requirement_refusal
from civic.core import phases
from civic.core.permissions import (
    MODERATOR,
    Refusal,
    contributor_refusal,
    has_any_role,
    is_admin,
    is_mediator_for,
    is_official_for,
    is_user,
)

from .models import KIND, ResultsStatus

# --- editions ------------------------------------------------------------------------

def can_manage_edition(actor, edition=None) -> bool:
    """Create an edition, change its rules and envelopes, publish its results:
    city-wide officials."""
    return is_official_for(actor, None)


def can_view_edition(actor, edition) -> bool:
    """A published edition: everyone; a draft: those who manage editions."""
    return not edition.is_draft or can_manage_edition(actor, edition)


def can_move_phase(actor, edition=None) -> bool:
    """Move the current phase by hand (the phase machinery audits it): admins."""
    return is_admin(actor)


def can_see_results(actor, edition) -> bool:
    """Published results are public; computed ones only for city-wide officials,
    who check them before publishing."""
    if edition.results_status == ResultsStatus.PUBLISHED:
        return True
    return edition.results_status == ResultsStatus.COMPUTED and is_official_for(actor, None)


# --- projects ------------------------------------------------------------------------

def can_see_hidden_projects(actor) -> bool:
    """Projects hidden by moderation stay visible to moderators (of any district)."""
    return has_any_role(actor, MODERATOR)


def can_view_project(actor, project) -> bool:
    return can_view_edition(actor, project.edition) and (not project.hidden or can_see_hidden_projects(actor))


def can_review_project(actor, project) -> bool:
    """Review, merge, and publish implementation updates: officials of the
    project's district (its envelope's; the whole city for a city-wide one)."""
    return is_official_for(actor, project.envelope.district_id)


def can_add_project(actor, envelope) -> bool:
    """Officials of the envelope's district add a project (one made from a
    proposal, or outside the submission phase) until voting opens."""
    return is_official_for(actor, envelope.district_id)


def can_create_project_from(actor, district_id: int | None) -> bool:
    """Send an accepted proposal of ``district_id`` to the budget: officials of
    the proposal's district, even when the project lands in the city-wide
    envelope for want of one of its district."""
    return is_official_for(actor, district_id)


def can_submit_project(actor, edition, envelope=None):
    """Residents propose during the submission phase; officials of the
    envelope's district also until voting opens. True, or a Refusal saying why."""
    refusal = contributor_refusal(actor)
    if refusal is not None:
        return refusal
    if phases.allows(KIND, edition.id, "submit"):
        return True
    if envelope is not None and can_add_project(actor, envelope) and not edition.rules_frozen:
        return True
    return Refusal(_("Projects can only be submitted during the submission phase."))


def can_change_project_image(actor, project) -> bool:
    """The author, or an official of the project's district."""
    return is_user(actor) and (actor.id == project.author_id or can_review_project(actor, project))


# --- ballots -------------------------------------------------------------------------

def can_cast_ballot(actor, envelope):
    """Logged in, confirmed, not blocked, voting open, and a verified resident
    of the envelope's district (any verified resident for the city-wide one).
    True, or a Refusal with the sentence the ballot page shows."""
    if not is_user(actor):
        return Refusal(_("Log in to vote."))
    refusal = contributor_refusal(actor)
    if refusal is not None:
        return refusal
    if not phases.allows(KIND, envelope.edition_id, "vote"):
        return Refusal(_("Voting is not open."))
    if not actor.is_verified_for(envelope.district_id):
        if envelope.district_id is None:
            return Refusal(_("Only verified residents can vote. You can verify that you live here from your account."))
        return Refusal(_("Only verified residents of %(district)s can vote in this envelope.",
                         district=envelope.district.name))
    refusal = requirement_refusal(actor, KIND, envelope.edition_id, "vote")
    return True if refusal is None else refusal


def can_enter_paper_ballot(actor, envelope) -> bool:
    """Mediators of the envelope's district record the ballots collected at a counter."""
    return is_mediator_for(actor, envelope.district_id)
