"""Command-line access to the opinion-group math (plain click, no Flask app needed).

Mounted under ``flask civic deliberation`` (conversations belong to debates); the
group is named after the deliberation mode because that is where users look for it::

    flask --app wsgi civic deliberation opinion-groups votes.csv --json
"""

from __future__ import annotations

import json
import time

import click

from civic.conversations.groups import compute
from civic.conversations.polis import PolisFormatError, read_votes

deliberation_group = click.Group("deliberation", help="Deliberation tools (Polis exports, opinion groups).")


@deliberation_group.command("opinion-groups")
@click.argument("votes_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON line.")
def opinion_groups(votes_file: str, as_json: bool) -> None:
    """Opinion groups and consensus statements of a Polis votes.csv export."""
    started = time.perf_counter()
    try:
        with open(votes_file, encoding="utf-8-sig", newline="") as f:
            votes = read_votes(f)
    except (PolisFormatError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{votes_file}: {error}") from None
    result = compute(votes.participants, votes.statements, votes.values,
                     len(votes.voter_ids), len(votes.comment_ids))
    groups = {votes.voter_ids[p]: g for p, g in result.group_of().items()}
    consensus = [votes.comment_ids[s] for s in result.consensus_order()]
    seconds = round(time.perf_counter() - started, 3)
    if as_json:
        click.echo(json.dumps({"groups": groups, "n_groups": result.n_groups,
                               "consensus": consensus, "seconds": seconds}, ensure_ascii=False))
        return
    click.echo(f"{len(votes.values)} votes, {len(votes.voter_ids)} voters, {len(votes.comment_ids)} statements")
    sizes = [int((result.labels == g).sum()) for g in range(result.n_groups)]
    click.echo(f"{result.n_groups} groups of " + ", ".join(str(n) for n in sizes)
               + f" participants ({len(votes.voter_ids) - len(groups)} left out: fewer than 7 votes)")
    click.echo("Consensus, best first: " + ", ".join(consensus[:10]))
    click.echo(f"{seconds} s")
