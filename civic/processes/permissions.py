"""Who may do what in participatory processes: the one place each rule lives.

Services ``require()`` these first; views and templates (as the Jinja global
``processes_permissions``) call the same predicates to show or hide an
action. Built on the shared vocabulary of :mod:`civic.core.permissions`.
"""

from __future__ import annotations

from flask_babel import gettext as _

from civic.core.permissions import (
    MODERATOR,
    OFFICIAL,
    Refusal,
    contributor_refusal,
    has_any_role,
    is_admin,
    is_moderator_for,
    is_official_for,
    is_user,
)
from civic.processes.models import Amendment, Process, Proposal, ProposalState


def answering_district(proposal: Proposal) -> int | None:
    """The district whose officials answer a proposal: its own, else its process's."""
    return proposal.district_id if proposal.district_id is not None else proposal.process.district_id


# --- processes -------------------------------------------------------------------

def can_create_process(actor) -> bool:
    """Admins create processes (as drafts)."""
    return is_admin(actor)


def can_publish_process(actor, process: Process | None = None) -> bool:
    """Admins make a draft public."""
    return is_admin(actor)


def can_move_process_phase(actor, process: Process | None = None) -> bool:
    """Admins enter a phase by hand (the core's ``move_phase`` rule)."""
    return is_admin(actor)


def can_manage_process(actor, process: Process | None = None) -> bool:
    """Admins, and officials of the process's district (a city-wide grant for a
    city-wide process): texts, rules, phases, results, the answers queue."""
    return is_official_for(actor, process.district_id if process is not None else None)


def can_view_process(actor, process: Process) -> bool:
    """Published processes are public; drafts only for those who manage them."""
    return process.is_published or can_manage_process(actor, process)


def can_view_draft_processes(actor) -> bool:
    """Lists include unpublished processes' proposals for officials somewhere."""
    return has_any_role(actor, OFFICIAL)


# --- proposals -------------------------------------------------------------------

def can_view_proposal(actor, proposal: Proposal) -> bool:
    """Visible in a visible process; a hidden one only to moderators of its district."""
    if not can_view_process(actor, proposal.process):
        return False
    return not proposal.hidden or is_moderator_for(actor, proposal.district_id)


def can_view_hidden_proposals(actor) -> bool:
    """Lists keep hidden proposals for moderators (of any district)."""
    return has_any_role(actor, MODERATOR)


def can_view_hidden_amendments(actor, proposal: Proposal) -> bool:
    """Hidden amendments stay listed for moderators of the proposal's district."""
    return is_moderator_for(actor, proposal.district_id)


def can_view_amendment(actor, amendment: Amendment) -> bool:
    return can_view_proposal(actor, amendment.proposal) and (
        not amendment.hidden or can_view_hidden_amendments(actor, amendment.proposal))


def is_author(actor, proposal: Proposal) -> bool:
    return is_user(actor) and proposal.author_id is not None and proposal.author_id == actor.id


def can_act_as_author(actor, proposal: Proposal):
    """Edit, clarify, withdraw, decide amendments: the author, as a contributor."""
    refusal = contributor_refusal(actor)
    if refusal is not None:
        return refusal
    if not is_author(actor, proposal):
        return Refusal(_("Only the author can do this."))
    return True


def can_edit_proposal(actor, proposal: Proposal) -> bool:
    """The author changes the text until the first support arrives."""
    return (is_author(actor, proposal) and proposal.support_count == 0
            and proposal.state == ProposalState.PUBLISHED)


def can_propose_amendment(actor, proposal: Proposal):
    """Another contributor than the author (True or a Refusal saying why)."""
    refusal = contributor_refusal(actor)
    if refusal is not None:
        return refusal
    if is_author(actor, proposal):
        return Refusal(_("You wrote this proposal: edit it or add a clarification instead."))
    return True


def can_decide_amendment(actor, amendment: Amendment):
    """The author of the amended proposal accepts or rejects it."""
    return can_act_as_author(actor, amendment.proposal)


def is_verified_for_process(actor, process: Process) -> bool:
    """Where the process requires it, only verified residents of its district take part."""
    return not process.requires_verification or (is_user(actor) and actor.is_verified_for(process.district_id))


def can_withdraw_support(actor, proposal: Proposal | None = None) -> bool:
    return is_user(actor)


# --- official answers ----------------------------------------------------------------

def can_answer_proposal(actor, proposal: Proposal) -> bool:
    """Officials of the proposal's district (or those who manage its process):
    evaluate, answer, post implementation updates, make a budget project."""
    return is_official_for(actor, answering_district(proposal)) or can_manage_process(actor, proposal.process)
