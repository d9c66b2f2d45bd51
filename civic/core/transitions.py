"""Guarded, audited state changes: one helper for every stateful model.

A module declares its flow once, next to its models, as a dict from each state
to the states it may move to (the processes' ``TRANSITIONS`` is the model)::

    FLOW = {State.DRAFT: {State.OPEN}, State.OPEN: {State.CLOSED}, State.CLOSED: set()}

and every service that changes the state calls :func:`transition`. A move the
flow does not allow raises :class:`InvalidTransition` (409) before anything
changes; an allowed one sets the column and writes one audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from civic.core import audit
from civic.core.errors import InvalidTransition
from civic.core.time import utcnow
from civic.extensions import db


def allowed(flow: Mapping, current, to) -> bool:
    """Whether ``flow`` lets an object in ``current`` move to ``to``."""
    return to in flow.get(current, ())


def transition(obj, flow: Mapping, to, actor, action: str | None, *, attr: str = "state", kind: str | None = None,
               stamp: str | None = None, reason: str | None = None, message: str | None = None, **data):
    """Move ``obj.<attr>`` to ``to`` if ``flow`` allows it from the current
    value, and audit it as ``action`` (``None``: the caller audits, e.g. when
    it records more than the move). Returns the previous state. ``stamp``
    names a column set to now on the move (``state_changed_at``).

    ``kind`` is the content kind stored in the audit entry (defaults to the
    table name). The permission check is the caller's, made before."""
    current = getattr(obj, attr)
    if not allowed(flow, current, to):
        raise InvalidTransition(message or _("This action is no longer possible in the current state."),
                                current=str(current), to=str(to))
    setattr(obj, attr, to)
    if stamp:
        setattr(obj, stamp, utcnow())
    if action:
        audit.record(actor, action, kind or obj.__tablename__, obj.id, reason=reason,
                     **{"from": str(current), "to": str(to)}, **data)
    return current


def compare_and_set(obj, flow: Mapping, to, *, attr: str = "state", **values) -> bool:
    """Move ``obj`` to ``to`` in one conditional UPDATE, from whichever states
    ``flow`` lets reach it, setting ``values`` too: for decisions two people
    may take at once (moderation cases, appeals). Of two racing requests one
    wins (True); the other finds the row already moved (False) and says so.
    ``obj`` is expired: read it again to see the winner's values. The caller
    audits (it knows what was decided)."""
    table = type(obj).__table__
    sources = [state for state in flow if allowed(flow, state, to)]
    moved = db.session.execute(table.update().where(table.c.id == obj.id, table.c[attr].in_(sources))
                               .values({attr: to, **values})).rowcount
    db.session.expire(obj)
    return bool(moved)
