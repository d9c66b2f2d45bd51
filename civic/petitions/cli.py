"""``flask civic petitions ...`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

petitions_group = AppGroup("petitions", help="Petitions: tally, reconciliation, closing.")


@petitions_group.command("tally")
def tally_cmd():
    """Fold confirmed signatures into the counts now."""
    from civic.petitions.tally import tally_signatures

    click.echo(f"{tally_signatures()} signatures tallied")


@petitions_group.command("reconcile")
def reconcile_cmd():
    """Recount every petition from its rows and repair any drift."""
    from civic.petitions.tally import reconcile_counts

    click.echo(f"repaired: {reconcile_counts()}")


@petitions_group.command("close-due")
def close_cmd():
    """Close the petitions whose time is up (the scheduler does it every minute)."""
    from civic.extensions import db
    from civic.petitions.jobs import close_due_petitions

    n = close_due_petitions()
    db.session.commit()
    click.echo(f"{n} petitions closed")
