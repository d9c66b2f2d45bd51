"""Translated labels of the processes module: states, statuses, phases and the
public events of a proposal's timeline (pure data, no database)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_babel.speaklater import LazyString

from civic.processes.models import ImplementationStatus, ProposalState

PHASE_CODES = ("information", "proposals", "support", "evaluation", "voting", "answering", "results",
               "implementation")

STATE_LABELS = {
    ProposalState.PUBLISHED: LazyString(lambda: pgettext("proposal state", "Published")),
    ProposalState.EVALUATING: _l("Being evaluated"),
    ProposalState.ACCEPTED: _l("Accepted"),
    ProposalState.REJECTED: _l("Rejected"),
    ProposalState.WITHDRAWN: _l("Withdrawn by its author"),
    ProposalState.IMPLEMENTED: _l("Implemented"),
}

STATUS_LABELS = {
    ImplementationStatus.PLANNED: _l("Planned"),
    ImplementationStatus.IN_PROGRESS: _l("In progress"),
    ImplementationStatus.DONE: LazyString(lambda: pgettext("implementation status", "Done")),
    ImplementationStatus.HALTED: _l("On hold"),
}

PHASE_LABELS = {
    "information": _l("Information"),
    "proposals": _l("Proposals"),
    "support": _l("Supports"),
    "evaluation": _l("Evaluation"),
    "voting": _l("Vote"),
    "answering": _l("Questionnaire"),
    "results": _l("Results"),
    "implementation": _l("Implementation"),
}

EVENT_LABELS = {
    "proposal.published": _l("Proposal published"),
    "proposal.edited": _l("Text edited by its author"),
    "proposal.clarified": _l("Clarification added by its author"),
    "proposal.amendment_proposed": _l("Amendment proposed"),
    "proposal.amendment_accepted": _l("Amendment accepted: the text changed"),
    "proposal.amendment_rejected": _l("Amendment rejected"),
    "proposal.threshold_reached": _l("Support threshold reached: an official answer is owed"),
    "proposal.evaluating": _l("Being evaluated by the city"),
    "proposal.accepted": _l("Accepted, with an official answer"),
    "proposal.rejected": _l("Rejected, with an official answer"),
    "proposal.withdrawn": _l("Withdrawn by its author"),
    "proposal.implementation_update": _l("Implementation update"),
    "proposal.implemented": _l("Implemented"),
    "proposal.budget_project": _l("Became a project of the participatory budget"),
}

# Audit actions shown on a proposal's public timeline (anything else stays in
# the internal audit log: supports, who did what).
PUBLIC_EVENTS = tuple(EVENT_LABELS)
