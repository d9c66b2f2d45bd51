"""Processes and proposals: the only writers of this module's tables.

Every function takes the actor first, checks permission
(``civic.processes.permissions``), validates, changes models, writes the
audit entry and outbox rows, and flushes; the caller (a view, an API route, a
job, the demo loader) commits once.

The audit entries recorded on ``("proposal", id)`` with an action listed in
:data:`PUBLIC_EVENTS` also make the proposal's public accountability timeline.

By sub-feature (none of these modules imports another that imports it back):

- ``admin``: processes, their rules, phases and results; process lists;
- ``proposals``: submit, edit, clarify, withdraw; versions;
- ``amendments``: propose and decide;
- ``supports``: support, withdraw, limits;
- ``thresholds``: the support threshold and the officials' queue;
- ``answers``: evaluation, official answer, implementation, budget project;
- ``reading``: lists, search, a proposal's timeline and parts;
- ``mailing``: the mails the services queue;
- ``common``: small shared helpers.

``from civic.processes import services; services.x(...)`` keeps working for
every public name below.
"""

from civic.processes.labels import (
    EVENT_LABELS,
    PHASE_CODES,
    PHASE_LABELS,
    PUBLIC_EVENTS,
    STATE_LABELS,
    STATUS_LABELS,
)
from civic.processes.services.admin import (
    ProcessData,
    create_process,
    current_phases,
    linked_items,
    list_processes,
    move_process_phase,
    on_phase_changed,
    open_clause,
    outcome_counts,
    publish_process,
    publish_results,
    save_phases,
    sync_phase_copy,
    update_process,
)
from civic.processes.services.amendments import (
    AMENDMENTS_PER_DAY,
    amendments_open,
    decide_amendment,
    propose_amendment,
)
from civic.processes.services.answers import (
    add_implementation_update,
    answer_proposal,
    budget_project_hook,
    budget_project_link,
    can_make_budget_project,
    make_budget_project,
    mark_evaluating,
)
from civic.processes.services.common import DEFAULT_ANSWER_DELAY_DAYS, PAGE_SIZE, normalise_search
from civic.processes.services.proposals import (
    PROPOSALS_PER_DAY,
    ProposalData,
    add_clarification,
    edit_proposal,
    submit_proposal,
    withdraw_proposal,
)
from civic.processes.services.reading import (
    ORDERS,
    ProposalFilters,
    amendments,
    awaiting_answer,
    clarifications,
    get_amendment,
    get_process,
    get_proposal,
    implementation_updates,
    latest_progress,
    list_proposals,
    proposal_history,
    random_key,
    significant_words,
    similar_proposals,
    versions,
)
from civic.processes.services.supports import (
    support_proposal,
    support_refusal,
    support_usage,
    supported_ids,
    withdraw_support,
)
from civic.processes.services.thresholds import requeue_process, threshold_needed, verified_residents

__all__ = [
    "AMENDMENTS_PER_DAY", "DEFAULT_ANSWER_DELAY_DAYS", "EVENT_LABELS", "ORDERS", "PAGE_SIZE", "PHASE_CODES", "PHASE_LABELS",
    "PROPOSALS_PER_DAY", "PUBLIC_EVENTS", "STATE_LABELS", "STATUS_LABELS", "ProcessData", "ProposalData", "ProposalFilters",
    "add_clarification", "add_implementation_update", "amendments", "amendments_open", "answer_proposal",
    "awaiting_answer", "budget_project_hook", "budget_project_link", "can_make_budget_project", "clarifications",
    "create_process", "current_phases", "decide_amendment", "edit_proposal", "get_amendment", "get_process",
    "get_proposal", "implementation_updates", "latest_progress", "linked_items", "list_processes",
    "list_proposals", "make_budget_project", "mark_evaluating", "move_process_phase", "normalise_search",
    "on_phase_changed", "open_clause", "outcome_counts", "proposal_history", "propose_amendment",
    "publish_process", "publish_results", "random_key", "requeue_process", "save_phases", "significant_words",
    "similar_proposals", "submit_proposal", "support_proposal", "support_refusal", "support_usage",
    "supported_ids", "sync_phase_copy", "threshold_needed", "update_process", "verified_residents",
    "versions", "withdraw_proposal", "withdraw_support",
]
