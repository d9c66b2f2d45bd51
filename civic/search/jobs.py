"""Job bodies of the search module."""

from __future__ import annotations

import logging

from civic.search import index

log = logging.getLogger(__name__)


def reindex() -> None:
    """The periodic catch-up: rewrite only the documents that differ from the
    kinds' items (what the session listener could not see: bulk SQL, an item
    whose visibility follows its parent's, a kind that joined the search)."""
    changed = {k: v for k, v in index.reindex().items() if any(v)}
    if changed:
        log.info("search index: written and deleted per kind %s", changed)
