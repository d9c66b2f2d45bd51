"""What the demo shows of the assemblies module: how to run the selection
command on the shipped Toulouse example (the command needs no database)."""

from __future__ import annotations

import click

from civic.demo import register_demo

EXAMPLES = "civic/assemblies/examples"


@register_demo(order=900)
def load(ctx) -> None:
    """Print the command that draws a panel from the Toulouse example pool."""
    click.echo("\nCitizens' assembly by lot (Toulouse example: 600 volunteers, a panel of 40):\n"
               f"  flask --app wsgi civic assemblies select {EXAMPLES}/toulouse_categories.csv "
               f"{EXAMPLES}/toulouse_respondents.csv --size 40 --seed démo-toulouse")
