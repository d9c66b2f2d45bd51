"""Participatory budgets: the only writers of budget data.

Every function takes the actor as an argument (a User, or None for jobs),
checks permission first (:mod:`civic.budgets.permissions`), validates,
changes rows, records the audit entry and the outbox mails, and flushes: the
caller commits once.

Split by sub-feature; ``from civic.budgets import services; services.x(...)``
reaches every public name:

- :mod:`.editions`: editions, rules, envelopes and phases;
- :mod:`.projects`: submission, images, review and merges, moderation hooks;
- :mod:`.ballots`: ballot feedback, online and paper ballots, turnout;
- :mod:`.results`: the pabulib election, computing and publishing results
  (the counting itself is the pure :mod:`civic.budgets.rules`);
- :mod:`.implementation`: implementation updates and progress;
- :mod:`.privacy`: personal-data export and erasure.
"""

from __future__ import annotations

from ..models import KIND, PROJECT_KIND
from .ballots import (
    Feedback,
    ballot_feedback,
    cast_ballot,
    enter_paper_ballot,
    my_ballot,
    paper_fingerprint,
    turnout,
    voting_problem,
)
from .editions import (
    PHASE_CAPABILITIES,
    PHASE_CODES,
    RuleParams,
    apply_phase_change,
    create_edition,
    current_phase_code,
    get_edition,
    move_phase,
    phase_label,
    phase_specs,
    publish_edition,
    set_envelope,
    update_rules,
)
from .implementation import edition_progress, record_update
from .privacy import erase_user_data, export_user_data
from .projects import (
    ballot_projects,
    create_project_from,
    merge_project,
    projects_by,
    redact_project,
    review_project,
    set_project_hidden,
    set_project_picture,
    submit_project,
    visible_projects_query,
)
from .results import (
    PB_RULES,
    PB_VOTE_TYPES,
    apply_publication,
    build_election,
    compute_results,
    publish_results,
    reset_results,
    results_for,
)

__all__ = [
    "KIND", "PB_RULES", "PB_VOTE_TYPES", "PHASE_CAPABILITIES", "PHASE_CODES", "PROJECT_KIND", "Feedback",
    "RuleParams", "apply_phase_change", "apply_publication", "ballot_feedback", "ballot_projects", "build_election",
    "cast_ballot", "compute_results", "create_edition", "publish_edition", "create_project_from",
    "current_phase_code", "edition_progress", "enter_paper_ballot", "erase_user_data", "export_user_data",
    "get_edition", "merge_project", "move_phase", "my_ballot", "paper_fingerprint", "phase_label", "phase_specs",
    "projects_by", "publish_results", "record_update", "redact_project", "reset_results", "results_for",
    "review_project", "set_envelope", "set_project_hidden", "set_project_picture", "submit_project", "turnout",
    "update_rules", "visible_projects_query", "voting_problem",
]
