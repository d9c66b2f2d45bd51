"""The one declaration of the search module: the page, the session listener
that keeps the index in the transaction, the periodic catch-up, the CLI and
the demo's indexing. It owns no content kind: it reads the kinds'
``search_document`` / ``search_documents`` hooks (``index.py``)."""

from __future__ import annotations

from civic.cli import civic_cli
from civic.core.jobs import register_periodic
from civic.search import (
    cli,
    demo,  # noqa: F401  (registers its demo loader at import)
    index,
    jobs,
    views,
)

REINDEX_SECONDS = 900


def declare(app) -> None:
    if "search" not in app.blueprints:
        app.register_blueprint(views.bp)
    index.install()
    register_periodic("search.reindex", jobs.reindex, REINDEX_SECONDS)
    if "search" not in civic_cli.commands:
        civic_cli.add_command(cli.search_group)
