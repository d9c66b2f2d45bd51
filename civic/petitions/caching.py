"""What the shared cache keeps of petitions, and when it is dropped.

The petition page (for anonymous visitors) and the count endpoint are kept
in the shared cache (:mod:`civic.core.sharedcache`) for one tally interval,
as their ``Cache-Control`` allows. After a commit that changed a petition
(its row through the ORM, or its responses, debates and updates), both
copies of that petition are dropped, so the next visitor sees the change at
once instead of up to one interval later. A tally drops the count only.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from civic.core import sharedcache

PAGE_CACHE = "petition-page"
COUNT_CACHE = "petition-count"
_KEY = "petitions_changed"
_COUNTS_KEY = "petitions_counts_changed"


def register() -> None:
    sharedcache.register(PAGE_CACHE, r"^/petitions/(\d+)$")
    sharedcache.register(COUNT_CACHE, r"^/api/v1/petitions/(\d+)/count$", anonymous_only=False)


def changed(session, petition_ids) -> None:
    """Have the cached copies of ``petition_ids`` dropped after this commit
    (for changes made with Core statements, which the ORM does not see)."""
    session.info.setdefault(_KEY, set()).update(petition_ids)


def counts_changed(session, petition_ids) -> None:
    """After a tally: drop the cached count only. The page keeps its copy
    for the rest of its max-age (its script polls the count): a tally that
    folds a backlog commits batch after batch, and purging the page at each
    one would re-render it for every visitor of a surge."""
    session.info.setdefault(_COUNTS_KEY, set()).update(petition_ids)


@sa.event.listens_for(Session, "after_flush")
def _note_changes(session, _context):
    from civic.petitions.models import Petition, PetitionNews

    ids = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Petition):
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue  # loaded and touched, nothing changed (threshold checks after each tally)
            ids.add(obj.id)
        elif isinstance(obj, PetitionNews):  # responses, debates, updates
            ids.add(obj.petition_id)
    # Signatures are left out on purpose: a confirmation or a withdrawal
    # changes no page until the tally, and purging at each one would
    # re-render the page for every visitor of a surge.
    if ids:
        changed(session, ids)


@sa.event.listens_for(Session, "after_commit")
def _purge(session):
    if session.in_nested_transaction():
        return  # a savepoint: wait for the real commit
    ids = session.info.pop(_KEY, set())
    counts = session.info.pop(_COUNTS_KEY, set())
    if (ids or counts) and has_app_context():
        sharedcache.purge(PAGE_CACHE, ids)
        sharedcache.purge(COUNT_CACHE, ids | counts)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session, previous_transaction):
    if not previous_transaction.nested:
        session.info.pop(_KEY, None)
        session.info.pop(_COUNTS_KEY, None)
