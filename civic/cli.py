"""``flask civic ...`` commands. Modules add theirs to ``civic_cli``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

civic_cli = AppGroup("civic", help="Civic administration commands.")


@civic_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of forking one per job.")
def worker(burst, simple):
    """Run an RQ worker for the job queue (needs REDIS_URL)."""
    from civic.core.jobs import run_worker

    run_worker(current_app._get_current_object(), burst=burst, simple=simple)


@civic_cli.command("scheduler")
@click.option("--once", is_flag=True, help="Dispatch what is due now, then exit.")
def scheduler(once):
    """Dispatch periodic jobs (tallies, sweepers, closings) when they are due.

    Run one or several: a due run is claimed in the database, so it is
    dispatched once whatever the number of schedulers.
    """
    from civic.core.jobs import run_scheduler

    run_scheduler(current_app._get_current_object(), once=once)


@civic_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt="Display name")
@click.password_option()
def create_admin(email, name, password):
    """Create (or promote) an administrator with a confirmed address."""
    from werkzeug.security import generate_password_hash

    from civic.accounts.models import Role, User, UserRole
    from civic.accounts.services import find_user_by_email
    from civic.core import audit
    from civic.core.emails import is_valid_email, normalise_email
    from civic.core.time import utcnow
    from civic.extensions import db

    if not is_valid_email(email):
        raise click.BadParameter("not a valid email address", param_hint="--email")
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    user = find_user_by_email(email)
    if user is None:
        user = User(email=normalise_email(email), display_name=name, password_hash=generate_password_hash(password),
                    email_confirmed_at=utcnow())
        db.session.add(user)
        db.session.flush()
    if not user.is_admin:
        db.session.add(UserRole(user_id=user.id, role=Role.ADMIN))
    audit.record(None, "role.granted", "user", user.id, role="admin", via="cli")
    db.session.commit()
    click.echo(f"Administrator ready: {user.email}")


@civic_cli.command("demo")
@click.option("--reset", is_flag=True, help="Drop and recreate every table first.")
def demo(reset):
    """Load realistic French demo data and print the demo accounts."""
    from civic.demo import load_demo

    load_demo(reset=reset)


@civic_cli.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=True, file_okay=True))
@click.option("--keep", type=click.IntRange(min=1), help="Then keep only the KEEP newest civic-* backups of the folder.")
def backup_cmd(path, keep):
    """Back up the database to PATH (a file, or a folder; default instance/backups/).

    PostgreSQL: pg_dump's custom format; SQLite: its online backup API.
    Safe while the site runs. Exits non-zero when no complete backup was written.
    """
    from pathlib import Path

    from civic.core import backup

    # A trailing "/" names a folder: keep the string as given (Path() drops it).
    target = path or str(Path(current_app.config["INSTANCE_DIR"]) / "backups") + "/"
    try:
        done = backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
        pruned = backup.prune(done.path.parent, keep) if keep else []
    except backup.BackupError as err:
        raise click.ClickException(f"backup failed: {err}") from err
    click.echo(f"Backup written: {done.path} ({done.size / 1e6:.1f} MB in {done.seconds:.1f} s)")
    for old in pruned:
        click.echo(f"deleted old backup {old}")


@civic_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "url", help="Database URL to restore into (default: the site's DATABASE_URL).")
@click.option("--force", is_flag=True, help="Replace the content of a database that is not empty.")
def restore_cmd(path, url, force):
    """Restore the backup at PATH into an empty database (or any, with --force)."""
    import sqlalchemy as sa

    from civic.core import backup
    from config import normalise_database_url

    target = normalise_database_url(url) if url else current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        done = backup.restore(path, target, force=force)
    except backup.BackupError as err:
        raise click.ClickException(f"restore failed: {err}") from err
    shown = sa.engine.make_url(target).render_as_string(hide_password=True)
    click.echo(f"Restored {done.path} into {shown} in {done.seconds:.1f} s")


@civic_cli.command("compile-translations")
def compile_translations_cmd():
    """Compile the .po catalogues into .mo files."""
    from civic.i18n import compile_catalogs

    for path in compile_catalogs():
        click.echo(f"compiled {path}")


@civic_cli.command("update-translations")
@click.argument("module", required=False)
def update_translations_cmd(module):
    """Extract strings of MODULE (core if omitted) into its fr/en catalogues."""
    from civic.i18n import missing_translations, update_catalogue

    for path in update_catalogue(module):
        click.echo(f"updated {path}")
    missing = missing_translations(module)
    click.echo(f"{len(missing)} French translations missing")


@civic_cli.command("backfill-series")
@click.argument("names", nargs=-1)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First local day (default: the first with data).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last local day (default: today).")
def backfill_series_cmd(names, since, until):
    """Recompute the open data daily series (all, or NAMES: petitions,
    processes, budgets, consultations) for past days."""
    from civic.core.series import all_series, backfill

    known = {s.name: s for s in all_series()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown series {', '.join(unknown)}; known: {', '.join(known)}")
    for s in (known[n] for n in names) if names else known.values():
        written = backfill(s, since.date() if since else None, until.date() if until else None)
        click.echo(f"{s.name}: {written} daily rows")


@civic_cli.command("build-dumps")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Build again even if today's dump exists.")
def build_dumps_cmd(names, force):
    """Build today's open data dumps now (the due datasets, or NAMES)."""
    from civic.core import datasets
    from civic.core.dumps import build_dumps

    unknown = [n for n in names if datasets.get_dataset(n) is None]
    if unknown:
        raise click.BadParameter(f"unknown dataset {', '.join(unknown)}")
    for name, outcome in build_dumps(list(names) or None, force=force).items():
        click.echo(f"{name}: {outcome}")


def init_app(app):
    # Modules' CLI files add commands to civic_cli at import time.
    try:
        from civic.budgets.cli import budgets_group

        if "budgets" not in civic_cli.commands:
            civic_cli.add_command(budgets_group)
    except ImportError:
        pass
    app.cli.add_command(civic_cli)
