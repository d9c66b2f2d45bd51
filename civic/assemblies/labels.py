"""Translated labels of the assemblies module (pure data, no database)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_babel.speaklater import LazyString

from civic.assemblies.models import AnswerDecision, AssemblyState, ImplementationStatus

STATE_LABELS = {
    AssemblyState.DRAFT: _l("Draft"),
    AssemblyState.SELECTING: _l("Members being drawn"),
    AssemblyState.SITTING: _l("Sitting"),
    AssemblyState.CONCLUDED: _l("Concluded"),
}

# The buttons that move an assembly to each state (see models.FLOW).
MOVE_LABELS = {
    AssemblyState.SELECTING: _l("Publish and start the draw"),
    AssemblyState.SITTING: _l("Open the sittings"),
    AssemblyState.CONCLUDED: _l("Conclude the assembly"),
}

DECISION_LABELS = {
    AnswerDecision.ACCEPTED: LazyString(lambda: pgettext("recommendation decision", "Accepted")),
    AnswerDecision.PARTLY: _l("Partly accepted"),
    AnswerDecision.REJECTED: LazyString(lambda: pgettext("recommendation decision", "Rejected")),
}

STATUS_LABELS = {
    ImplementationStatus.PLANNED: _l("Planned"),
    ImplementationStatus.IN_PROGRESS: _l("In progress"),
    ImplementationStatus.DONE: LazyString(lambda: pgettext("implementation status", "Done")),
    ImplementationStatus.HALTED: _l("On hold"),
}
