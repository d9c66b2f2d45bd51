"""What the city does with a proposal: evaluate it, answer it publicly with
reasons, follow its implementation, or make it a project of the linked
participatory budget."""

from __future__ import annotations

from flask_babel import gettext as _

from civic.core import audit, content, events
from civic.core.errors import InvalidTransition, NotFound, ValidationError
from civic.core.jobs import enqueue
from civic.core.permissions import require, require_login
from civic.core.sanitize import clean_text, render_markdown
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.extensions import db
from civic.processes import jobs, permissions
from civic.processes.models import TRANSITIONS, ImplementationStatus, ImplementationUpdate, Proposal, ProposalState
from civic.processes.services.common import registered_kinds, required_text
from civic.processes.services.mailing import mail_implementation_update
from civic.processes.services.thresholds import queue_for_answer


def _require_answerer(actor, proposal: Proposal) -> None:
    require_login(actor)
    require(permissions.can_answer_proposal(actor, proposal))


def mark_evaluating(actor, proposal: Proposal, note: str = "") -> Proposal:
    """Officials say the proposal is being studied."""
    _require_answerer(actor, proposal)
    transition(proposal, TRANSITIONS, ProposalState.EVALUATING, actor, "proposal.evaluating",
               stamp="state_changed_at", reason=clean_text(note) or None)
    if proposal.queued_at is None:
        # Studying it is a promise to answer.
        queue_for_answer(proposal)
    db.session.flush()
    return proposal


def answer_proposal(actor, proposal: Proposal, decision: str, text: str) -> Proposal:
    """Accept or reject a proposal with a public official answer giving reasons.

    Supporters who asked for it and followers are mailed the answer by a job
    after commit.
    """
    _require_answerer(actor, proposal)
    try:
        new_state = ProposalState(decision)
    except ValueError:
        raise ValidationError(fields={"decision": _("Choose accept or reject.")}) from None
    if new_state not in (ProposalState.ACCEPTED, ProposalState.REJECTED):
        raise ValidationError(fields={"decision": _("Choose accept or reject.")})
    text = clean_text(text, multiline=True)
    if len(text) < 20:
        raise ValidationError(fields={"answer": _("Give the reasons of the decision (at least %(n)d characters).",
                                                  n=20)})
    # The answer is set before the flush: the database refuses an answered state without it.
    transition(proposal, TRANSITIONS, new_state, actor, f"proposal.{new_state.value}", stamp="state_changed_at")
    now = utcnow()
    if proposal.queued_at is None:
        queue_for_answer(proposal, now)
    proposal.answer = text
    proposal.answer_html = render_markdown(text)
    proposal.answered_at = now
    proposal.answered_by_id = actor.id
    db.session.flush()
    enqueue(jobs.mail_answer, proposal.id)
    events.emit("proposal", proposal.id, "answered", actor_id=actor.id, data={"decision": new_state.value})
    return proposal


def add_implementation_update(actor, proposal: Proposal, status: str, progress: int | None,
                              note: str) -> ImplementationUpdate:
    """Dated follow-up of an accepted proposal; "done" makes it implemented."""
    _require_answerer(actor, proposal)
    if proposal.state not in (ProposalState.ACCEPTED, ProposalState.IMPLEMENTED):
        raise InvalidTransition(_("Only accepted proposals get implementation updates."))
    errors = {}
    try:
        status_v = ImplementationStatus(status)
    except ValueError:
        status_v = None
        errors["status"] = _("Choose a status from the list.")
    if progress is None or not 0 <= progress <= 100:
        errors["progress"] = _("Enter a percentage between 0 and 100.")
    note = clean_text(note, multiline=True)
    errors |= required_text(note, "note", _("Write what happened."), 5000)
    if errors:
        raise ValidationError(fields=errors)
    if status_v == ImplementationStatus.DONE:
        progress = 100
    u = ImplementationUpdate(proposal_id=proposal.id, status=status_v, progress=progress,
                             note_html=render_markdown(note), author_id=actor.id)
    db.session.add(u)
    db.session.flush()
    audit.record(actor, "proposal.implementation_update", "proposal", proposal.id, status=status_v.value,
                 progress=progress)
    if status_v == ImplementationStatus.DONE and proposal.state == ProposalState.ACCEPTED:
        transition(proposal, TRANSITIONS, ProposalState.IMPLEMENTED, actor, "proposal.implemented",
                   stamp="state_changed_at")
        db.session.flush()
    mail_implementation_update(proposal, u, note)
    events.emit("proposal", proposal.id, "implementation_update", actor_id=actor.id,
                data={"status": status_v.value, "progress": progress})
    return u


# --- the linked participatory budget ------------------------------------------------

def budget_project_hook():
    """The budgets module's ``create_project_from`` hook, if installed."""
    return content.hook("budget", "create_project_from")


def can_make_budget_project(proposal: Proposal) -> bool:
    """Whether the "make it a budget project" action applies to this proposal now
    (who may do it is ``permissions.can_answer_proposal``)."""
    return (proposal.state == ProposalState.ACCEPTED and proposal.budget_project_id is None
            and proposal.process.budget_id is not None and budget_project_hook() is not None)


def make_budget_project(actor, proposal: Proposal):
    """Turn an accepted proposal into a project of the process's budget
    edition, through the budgets module's hook (its feasibility review follows)."""
    _require_answerer(actor, proposal)
    hook = budget_project_hook()
    if hook is None or proposal.process.budget_id is None:
        raise InvalidTransition(_("This process has no participatory budget to send projects to."))
    if proposal.state != ProposalState.ACCEPTED:
        raise InvalidTransition(_("Only accepted proposals can become budget projects."))
    if proposal.budget_project_id is not None:
        raise InvalidTransition(_("This proposal is already a budget project."))
    _kind, budget = content.load("budget", proposal.process.budget_id, check_visible=False)
    project = hook(actor, budget, proposal.title, proposal.body, proposal.district_id,
                   source_kind="proposal", source_id=proposal.id)
    proposal.budget_project_id = project.id
    db.session.flush()
    audit.record(actor, "proposal.budget_project", "proposal", proposal.id, budget_id=budget.id,
                 project_id=project.id)
    return project


def budget_project_link(proposal: Proposal) -> dict | None:
    """``{"title", "url"}`` of the budget project made from the proposal, if its kind is installed."""
    if proposal.budget_project_id is None:
        return None
    if "project" not in registered_kinds():
        return None
    try:
        kind, obj = content.load("project", proposal.budget_project_id)
    except NotFound:
        return None
    return {"title": kind.title(obj), "url": kind.url(obj)}
