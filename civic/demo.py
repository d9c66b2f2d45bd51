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
        # A restarted demo keeps its data, and the newcomer still needs the accounts.
        click.echo("The database already has data: the demo was loaded before (make demo-reset starts over).")
        _print_accounts(_existing_demo_accounts(), _demo_password())
        return {}
    ctx: dict = {}
    for _order, fn in sorted(_LOADERS, key=lambda x: x[0]):
        fn(ctx)
        db.session.commit()
    click.echo("\nDemo data loaded.")
    _print_accounts(ctx.get("accounts", []), ctx.get("password"))
    return ctx


DEMO_DOMAIN = "@demo.civic.localhost"


def _demo_password() -> str:
    from civic.accounts.cli import DEMO_PASSWORD

    return DEMO_PASSWORD


def _existing_demo_accounts() -> list[tuple[str, str, str]]:
    """The demo's accounts still in the database, with what each can do."""
    import sqlalchemy as sa

    from civic.accounts.models import User
    from civic.extensions import db

    users = db.session.scalars(sa.select(User).where(User.email.like(f"%{DEMO_DOMAIN}"), User.deleted_at.is_(None))
                               .order_by(User.id)).all()
    return [(u.email, u.display_name, ", ".join(sorted({g.role.value for g in u.roles}))
             or ("verified resident" if u.active_verification else "resident, not verified")) for u in users]


def _print_accounts(accounts, password) -> None:
    if not accounts:
        return
    click.echo(f"Demo accounts (password: {password}, unless changed since):")
    for email, name, role in accounts:
        click.echo(f"  {email:<36} {name:<28} {role}")
    click.echo("")
