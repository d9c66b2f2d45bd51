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
from sqlalchemy.orm import Session

from civic.core import sharedcache
from civic.core.aftercommit import after_commit

PAGE_CACHE = "petition-page"
COUNT_CACHE = "petition-count"


def register() -> None:
    sharedcache.register(PAGE_CACHE, r"^/petitions/(\d+)$")
    sharedcache.register(COUNT_CACHE, r"^/api/v1/petitions/(\d+)/count$", anonymous_only=False)


def changed(session, petition_ids) -> None:
    """Have the cached copies of ``petition_ids`` dropped after this commit
    (for changes made with Core statements, which the ORM does not see)."""
    after_commit(session, "petitions:purge-pages", _purge_pages, petition_ids)


def counts_changed(session, petition_ids) -> None:
    """After a tally: drop the cached count only. The page keeps its copy
    for the rest of its max-age (its script polls the count): a tally that
    folds a backlog commits batch after batch, and purging the page at each
    one would re-render it for every visitor of a surge."""
    after_commit(session, "petitions:purge-counts", _purge_counts, petition_ids)


def _purge_pages(ids: list) -> None:
    ids = set(ids)
    sharedcache.purge(PAGE_CACHE, ids)
    sharedcache.purge(COUNT_CACHE, ids)


def _purge_counts(ids: list) -> None:
    sharedcache.purge(COUNT_CACHE, set(ids))


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
