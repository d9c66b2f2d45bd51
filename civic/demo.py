"""Demo data: each module registers a loader; ``flask civic demo`` runs them in order."""

from __future__ import annotations

from collections.abc import Callable

import click

_LOADERS: list[tuple[int, Callable]] = []


def register_demo(order: int):
    """Register ``fn(ctx)`` to load demo data; ``ctx`` is shared between loaders
    (districts, users...)."""
    def deco(fn):
        if all(f is not fn for _o, f in _LOADERS):
            _LOADERS.append((order, fn))
        return fn
    return deco


def load_demo(reset: bool = False) -> dict:
    import sqlalchemy as sa

    from civic.accounts.models import User
    from civic.extensions import db

    if reset:
        db.drop_all()
        db.create_all()
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("The database already has data: demo not loaded (use --reset to start over).")
        return {}
    ctx: dict = {}
    for _order, fn in sorted(_LOADERS, key=lambda x: x[0]):
        fn(ctx)
        db.session.commit()
    click.echo(f"\nDemo data loaded. Demo accounts (password: {ctx.get('password')}):")
    for email, name, role in ctx.get("accounts", []):
        click.echo(f"  {email:<36} {name:<28} {role}")
    click.echo("")
    return ctx
