"""``flask civic budgets import FILE.pb``: load a past election (approval,
knapsack, cumulative or ordinal) as a budget edition with projects and ballots."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from civic.budgets.cli import budgets_group


@budgets_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--title", help="Title of the new edition (default: unit and instance from the file).")
@click.option("--edition", "edition_id", type=int, help="Add the file as one more envelope of this edition.")
@click.option("--district", "district_code", help="District code of the envelope (default: city-wide).")
@click.option("--publish/--no-publish", default=False, help="Publish the computed results at once.")
@with_appcontext
def import_command(file, title, edition_id, district_code, publish):
    """Import a pabulib FILE (.pb) and compute its results.

    Prints one JSON line: {"edition": id, "envelope": id, "projects": n,
    "ballots": n, "selected": [project ids of the file]}.
    """
    import sqlalchemy as sa

    from civic.accounts.models import District
    from civic.core.errors import ValidationError
    from civic.extensions import db

    from .importer import import_election
    from .models import BudgetEdition, BudgetResult, Project
    from .pabulib import PabulibError, parse_pb
    from .services import apply_publication, compute_results, reset_results

    try:
        election = parse_pb(file)
    except (PabulibError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    district_id = None
    if district_code:
        district = db.session.scalar(sa.select(District).where(District.code == district_code))
        if district is None:
            raise click.BadParameter(f"no district with code {district_code!r}", param_hint="--district")
        district_id = district.id
    edition = None
    if edition_id is not None:
        edition = db.session.get(BudgetEdition, edition_id)
        if edition is None:
            raise click.BadParameter(f"no edition {edition_id}", param_hint="--edition")
        if edition.results_status.value == "published":
            raise click.ClickException(f"edition {edition_id} has published results: it cannot get a new envelope")
    try:
        edition, envelope = import_election(election, title=title, edition=edition, district_id=district_id)
        reset_results(edition)  # one more envelope: the edition's results are computed again
        compute_results(edition)
        if publish:
            apply_publication(edition, None)
    except ValidationError as err:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in err.fields.items()) or err.message) from None
    db.session.commit()
    result = db.session.scalar(sa.select(BudgetResult).where(BudgetResult.envelope_id == envelope.id,
                                                             BudgetResult.rule == edition.selection_rule))
    external = dict(db.session.execute(sa.select(Project.id, Project.external_id)
                                       .where(Project.envelope_id == envelope.id)).all())
    click.echo(json.dumps({"edition": edition.id, "envelope": envelope.id, "projects": len(election.projects),
                           "ballots": result.ballots if result else 0,
                           "selected": [external[int(p)] for p in (result.selected if result else [])]},
                          ensure_ascii=False))
