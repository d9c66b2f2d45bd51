"""Translated labels of the draw's states and algorithms (pages and forms)."""

from flask_babel import lazy_gettext as _l

from .models import Algorithm, SelectionState

STATE_LABELS = {
    SelectionState.OPEN: _l("Volunteers are registering"),
    SelectionState.COMMITTED: _l("Pool frozen, seed committed: the draw is next"),
    SelectionState.DRAWN: _l("Panel drawn"),
    SelectionState.CLOSED: _l("Selection closed"),
}

ALGORITHM_LABELS = {
    Algorithm.MAXIMIN: _l("Maximin: the fairest floor (raises the lowest chance of being drawn)"),
    Algorithm.NASH: _l("Nash: maximises the product of the chances"),
    Algorithm.LEGACY: _l("Legacy greedy draw (for comparison: not a fair lottery)"),
}
