"""The declaration of the assemblies module. For now it brings the
``flask civic assemblies`` commands (selection by lot from CSV files) and
the demo's pointer to the shipped Toulouse example."""

from __future__ import annotations

from civic.assemblies import (
    cli,
    demo,  # noqa: F401  (registers the demo loader at import time)
)
from civic.cli import civic_cli


def declare(app) -> None:
    """Register what the assemblies module brings (idempotent)."""
    if "assemblies" not in civic_cli.commands:
        civic_cli.add_command(cli.assemblies_group)
