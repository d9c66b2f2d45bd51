"""What the shared cache keeps of petitions, and when it is dropped.

The petition page (for anonymous visitors) and the count endpoint are kept
in the shared cache (:mod:`civic.core.sharedcache`) for one tally interval,
as their ``Cache-Control`` allows. After a commit that changed a petition
(its row through the ORM, or anything of the module with a ``petition_id``:
responses, news, signatures recorded one by one) or after a tally, both
copies of that petition are dropped, so the next visitor sees the change at
once instead of up to one interval later.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from civic.core import sharedcache

PAGE_CACHE = "petition-page"
COUNT_CACHE = "petition-count"
_KEY = "petitions_changed"


def register() -> None:
    sharedcache.register(PAGE_CACHE, r"^/petitions/(\d+)$")
    sharedcache.register(COUNT_CACHE, r"^/api/v1/petitions/(\d+)/count$", anonymous_only=False)


def changed(session, petition_ids) -> None:
    """Have the cached copies of ``petition_ids`` dropped after this commit
    (for changes made with Core statements, which the ORM does not see)."""
    session.info.setdefault(_KEY, set()).update(petition_ids)


@sa.event.listens_for(Session, "after_flush")
def _note_changes(session, _context):
    from civic.petitions.models import Petition

    ids = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Petition):
            ids.add(obj.id)
        elif type(obj).__module__ == "civic.petitions.models" and getattr(obj, "petition_id", None):
            ids.add(obj.petition_id)
    if ids:
        changed(session, ids)


@sa.event.listens_for(Session, "after_commit")
def _purge(session):
    if session.in_nested_transaction():
        return  # a savepoint: wait for the real commit
    ids = session.info.pop(_KEY, None)
    if ids and has_app_context():
        sharedcache.purge(PAGE_CACHE, ids)
        sharedcache.purge(COUNT_CACHE, ids)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session, previous_transaction):
    if not previous_transaction.nested:
        session.info.pop(_KEY, None)
