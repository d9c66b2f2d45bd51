"""Command-line access to the voting rules (plain click, no Flask app needed).

The lead mounts :data:`budgets_group` under ``flask civic budgets``; on its own::

    python -m civic.budgets.cli results Poland_Swiecie_2023.pb --rule equal-shares
"""

from __future__ import annotations

import json
import time

import click

from civic.budgets.pabulib import PabulibError, parse_pb
from civic.budgets.rules import RULES, compute

budgets_group = click.Group("budgets", help="Participatory-budgeting tools (pabulib files, voting rules).")


@budgets_group.command("results")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--rule",
    type=click.Choice(RULES),
    default="greedy",
    show_default=True,
    help="Voting rule used to pick the funded projects.",
)
def results(file: str, rule: str) -> None:
    """Compute the funded projects of a pabulib FILE (.pb).

    Prints one JSON line: {"selected": [project ids in selection order],
    "rule": ..., "seconds": time spent in the rule (parsing excluded)}.
    """
    try:
        election = parse_pb(file)
    except (PabulibError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    start = time.perf_counter()
    try:
        result = compute(election, rule)
    except ValueError as exc:  # PabulibError included, e.g. no budget in META
        raise click.ClickException(f"{file}: {exc}") from None
    seconds = time.perf_counter() - start
    click.echo(
        json.dumps(
            {"selected": result.selected, "rule": rule, "seconds": round(seconds, 4)},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    budgets_group()
