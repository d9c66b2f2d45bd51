"""``flask civic search ...`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

search_group = AppGroup("search", help="Site-wide search: the index.")


@search_group.command("reindex")
@click.option("--kind", "kinds", multiple=True, help="Only this kind (repeatable).")
def reindex_cmd(kinds):
    """Bring the search index in line with every public item now."""
    from civic.extensions import db
    from civic.search.index import reindex

    for name, (written, deleted) in reindex(kinds or None).items():
        click.echo(f"{name}: {written} written, {deleted} deleted")
    db.session.commit()
