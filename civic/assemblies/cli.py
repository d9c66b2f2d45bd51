"""``flask civic assemblies ...`` commands: the selection of a panel by lot,
from the Sortition Foundation's CSV files, without the database (an
organiser can check a draw, or run one for an assembly not managed here).

Exit codes of ``select``: 0 done; 1 a file cannot be read (the message names
the line); 2 no panel meets the quotas (the message gives the smallest
change of quotas that makes it possible) or a wrong option (click's own).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from pathlib import Path

import click
from flask.cli import AppGroup

from civic.assemblies import selection

assemblies_group = AppGroup("assemblies", help="Citizens' assemblies: selection of a panel by lot.")

EXIT_INPUT, EXIT_INFEASIBLE = 1, 2


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise selection.SelectionError(f"{path} is not UTF-8 text (save the CSV as UTF-8).") from None


def _panel_counts(pool: selection.Pool, panel: list[str]) -> Counter:
    index = {pid: i for i, pid in enumerate(pool.ids)}
    counts: Counter = Counter()
    for pid in panel:
        for category, value in pool.features[index[pid]].items():
            counts[(category, value)] += 1
    return counts


@assemblies_group.command("select")
@click.argument("categories", type=click.Path(exists=True, dir_okay=False))
@click.argument("respondents", type=click.Path(exists=True, dir_okay=False))
@click.option("--size", "-k", type=click.IntRange(min=1), required=True, help="Number of people on the panel.")
@click.option("--algorithm", type=click.Choice(selection.ALGORITHMS), default="maximin", show_default=True,
              help="maximin: the fairest floor; nash: maximise the product of probabilities; "
                   "legacy: the historical greedy draw (for comparison).")
@click.option("--seed", help="The public seed of the draw (same seed, same panel). "
                             "Without it a random one is chosen and printed.")
@click.option("--address-columns", default="",
              help="Comma-separated respondents columns forming the address: at most one person per household.")
@click.option("--legacy-runs", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Draws used to estimate the legacy algorithm's probabilities.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (probabilities, panel, min_probability, algorithm, seconds...).")
def select_cmd(categories, respondents, size, algorithm, seed, address_columns, legacy_runs, as_json):
    """Compute fair selection probabilities and draw a panel of SIZE people
    meeting the quotas of CATEGORIES.csv from the volunteers of RESPONDENTS.csv."""
    try:
        quotas = selection.parse_categories(_read(categories))
        columns = [c.strip() for c in address_columns.split(",") if c.strip()]
        pool = selection.parse_respondents(_read(respondents), quotas, address_columns=columns)
        result = selection.select(pool, size, algorithm, legacy_runs=legacy_runs)
        chosen_seed = seed if seed is not None else secrets.token_hex(8)
        if algorithm == "legacy":
            panel = selection.legacy_panel(pool, size, chosen_seed)
        else:
            panel = selection.draw_panel(result, pool, chosen_seed)
    except selection.Infeasible as exc:
        click.echo(exc.message, err=True)
        raise SystemExit(EXIT_INFEASIBLE) from None
    except selection.SelectionError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_INPUT) from None
    counts = _panel_counts(pool, panel)
    # The selection core guarantees this; a panel outside the quotas must never be printed as a result.
    broken = [q for q in pool.quotas if not q.min <= counts[(q.category, q.value)] <= q.max]
    if broken or len(set(panel)) != size:
        raise click.ClickException("internal error: the drawn panel does not meet the quotas")

    if as_json:
        out = result.as_json(panel)
        out.update(seed=chosen_seed, seed_commitment=selection.seed_commitment(chosen_seed), size=size,
                   pool_size=len(pool.ids), gini=round(selection.gini(list(result.probabilities.values())), 6),
                   iterations=result.iterations, gap=result.gap,
                   quotas=[{"category": q.category, "value": q.value, "min": q.min, "max": q.max,
                            "panel": counts[(q.category, q.value)]} for q in pool.quotas])
        click.echo(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
        return

    probs = list(result.probabilities.values())
    click.echo(f"Algorithm: {algorithm}. Pool: {len(pool.ids)} volunteers, {len(result.profiles)} distinct "
               f"profiles. Panel: {size}.")
    click.echo(f"Selection probabilities: lowest {min(probs):.4f}, highest {max(probs):.4f}, "
               f"Gini {selection.gini(probs):.3f}, sum {sum(probs):.4f}"
               + (f" (estimated from {result.iterations} greedy draws)" if algorithm == "legacy" else
                  f" (lottery over {len(result.lottery)} panels)") + f"; {result.seconds:.2f} s.")
    if seed is None:
        click.echo(f"Seed (chosen at random; pass --seed to draw from a public one): {chosen_seed}")
    else:
        click.echo(f"Seed: {chosen_seed}")
    click.echo(f"Seed commitment (SHA-256): {selection.seed_commitment(chosen_seed)}")
    click.echo("\nQuotas met by the panel:")
    width = max(len(f"{q.category} / {q.value}") for q in pool.quotas)
    for q in pool.quotas:
        label = f"{q.category} / {q.value}"
        click.echo(f"  {label:<{width}}  {counts[(q.category, q.value)]:>4}  (min {q.min}, max {q.max})")
    click.echo(f"\nPanel ({size}):")
    index = {pid: i for i, pid in enumerate(pool.ids)}
    for pid in panel:
        click.echo(f"  {pid}  p={result.probabilities[pid]:.4f}  "
                   + ", ".join(pool.features[index[pid]][c] for c in pool.categories))
