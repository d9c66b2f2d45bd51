"""Side effects after the real commit (DESIGN.md, house rule 2), in one place.

``after_commit(key, fn, items)`` collects ``items`` in the current
transaction of the session. When the outermost transaction commits,
``fn(collected)`` runs once per key with everything collected under it, keys
in the order they were first used. Releasing a savepoint is not a commit
(SQLAlchemy fires ``after_commit`` for it too): the items wait for the real
one. A rollback of the transaction drops them; a rollback of a savepoint
keeps them, as the enclosing transaction may still commit.

The job queue, the confirmation-mail trigger and the shared cache purges
all go through here, so none of them can act on data that was rolled back
or is not yet visible to other connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

_INFO_KEY = "civic_after_commit"


def after_commit(session: Session | scoped_session, key: str, fn: Callable[[list], None], items: Iterable = ()) -> None:
    """Collect ``items`` under ``key``; call ``fn(list_of_items)`` once after
    the outermost transaction of ``session`` commits (only within an app
    context). The first ``fn`` given for a key in a transaction is the one
    called."""
    if isinstance(session, scoped_session):
        session = session()
    # The side effect's fate is tied to a transaction: begin one if none is
    # open, so a rollback() with no SQL emitted yet still drops it.
    if not session.in_transaction():
        session.begin()
    pending = session.info.setdefault(_INFO_KEY, {})
    entry = pending.get(key)
    if entry is None:
        pending[key] = entry = (fn, [])
    entry[1].extend(items)


@event.listens_for(Session, "after_commit")
def _run(session):
    if session.in_nested_transaction():
        return  # a savepoint was released: wait for the real commit
    pending = session.info.pop(_INFO_KEY, None)
    if not pending or not has_app_context():
        return
    # One failing side effect must not cancel the others (they are
    # independent); the first error is raised once all have run.
    error = None
    for fn, items in pending.values():
        try:
            fn(items)
        except Exception as exc:
            error = error or exc
    if error is not None:
        raise error


@event.listens_for(Session, "after_soft_rollback")
def _drop(session, previous_transaction):
    # Fires for every rollback() call, even when no SQL was emitted yet.
    if not previous_transaction.nested:
        session.info.pop(_INFO_KEY, None)
