"""Backups and restores of the whole database (docs/deploy.md, "Backups").

PostgreSQL goes through ``pg_dump --format=custom`` and ``pg_restore``: a
consistent snapshot taken while the site runs, restorable table by table.
SQLite goes through its online backup API (``sqlite3.Connection.backup``),
which copies a consistent image of a live WAL database page by page.

A backup is written beside its final name and renamed only once it is
complete and has been read back (``pg_restore --list``, or SQLite's
``integrity_check``), so a failed or interrupted run never leaves a file that
looks like a good backup. A restore refuses a database that already holds
tables unless told to replace it (``force``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
PATTERN = "civic-*"
NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why."""


@dataclass
class Result:
    path: Path
    size: int
    seconds: float


def _url(url: str) -> sa.engine.URL:
    try:
        return sa.engine.make_url(url)
    except sa.exc.ArgumentError as err:
        raise BackupError(f"not a database URL: {url!r}") from err


def _kind(url: sa.engine.URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {backend}")
    return backend


def _libpq(url: sa.engine.URL) -> tuple[str, dict]:
    """A libpq connection string without the password, and the environment
    carrying it (so it never shows in the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found: install the PostgreSQL client (postgresql-client)")
    return found


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()}")


def default_name(url: str) -> str:
    """``civic-YYYYmmdd-HHMMSS.dump`` (PostgreSQL) or ``.db`` (SQLite), in UTC."""
    suffix = ".dump" if _kind(_url(url)) == "postgresql" else ".db"
    return time.strftime("civic-%Y%m%d-%H%M%S", time.gmtime()) + suffix


def backup(url: str, path: str | Path) -> Result:
    """Write a complete backup of the database at ``url`` to ``path`` (a file,
    or a directory, existing or ending in ``/``, that gets a dated file) and
    check it reads back."""
    parsed = _url(url)
    kind = _kind(parsed)
    folder = str(path).endswith(("/", os.sep))
    path = Path(path)
    if folder:
        path.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        path = path / default_name(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise BackupError(f"{path} already exists: choose another name")
    partial = path.with_name(path.name + ".partial")
    started = time.monotonic()
    try:
        if kind == "postgresql":
            conninfo, env = _libpq(parsed)
            _run([_tool("pg_dump"), "--format=custom", "--file", str(partial), "--dbname", conninfo], env)
            _run([_tool("pg_restore"), "--list", str(partial)], env)  # reads the whole table of contents
        else:
            _sqlite_backup(_sqlite_path(parsed), partial)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return Result(path, path.stat().st_size, time.monotonic() - started)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source, timeout=15)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # One self-contained file: the copy inherits WAL mode, which would
        # leave -wal and -shm files beside it whenever it is opened.
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed SQLite's integrity check")
    except sqlite3.Error as err:
        raise BackupError(f"SQLite backup failed: {err}") from err
    finally:
        dst.close()
        src.close()


def prune(directory: str | Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest ``civic-*`` backups of ``directory``;
    returns what was deleted."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    files = sorted((p for p in Path(directory).glob(PATTERN)
                    if p.is_file() and p.suffix in (".dump", ".db")), key=lambda p: p.name, reverse=True)
    for old in files[keep:]:
        old.unlink()
        for side in ("-wal", "-shm"):
            old.with_name(old.name + side).unlink(missing_ok=True)
    return files[keep:]


def _format(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err.strerror}") from err
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"{path} is not a Civic backup (neither a pg_dump custom archive nor a SQLite database)")


def tables_in(url: str) -> list[str]:
    """The tables the database at ``url`` holds (BackupError if unreachable)."""
    parsed = _url(url)
    if parsed.get_backend_name() == "sqlite":
        db_path = _sqlite_path(parsed)
        if not db_path.exists():
            return []
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        return sa.inspect(engine).get_table_names()
    except sa.exc.SQLAlchemyError as err:
        raise BackupError(f"cannot reach the target database: {err.orig or err}") from err
    finally:
        engine.dispose()


def restore(path: str | Path, url: str, *, force: bool = False) -> Result:
    """Restore the backup at ``path`` into the database at ``url``, which must
    be empty unless ``force`` (then its tables are replaced)."""
    path = Path(path)
    parsed = _url(url)
    kind = _kind(parsed)
    made_by = _format(path)
    if made_by != kind:
        raise BackupError(f"{path} is a {NAMES[made_by]} backup; it cannot be restored into a {NAMES[kind]} database")
    existing = tables_in(url)
    if existing and not force:
        raise BackupError(f"the target database is not empty ({len(existing)} tables): restore into an empty "
                          "database, or pass --force to replace its content")
    started = time.monotonic()
    if kind == "postgresql":
        conninfo, env = _libpq(parsed)
        args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                "--dbname", conninfo]
        if existing:
            args += ["--clean", "--if-exists"]
        _run(args + [str(path)], env)
    else:
        _sqlite_restore(path, _sqlite_path(parsed))
    return Result(path, path.stat().st_size, time.monotonic() - started)


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} failed SQLite's integrity check")
        dst = sqlite3.connect(target, timeout=15)
        try:
            src.backup(dst)  # replaces every page of the target, under its lock
        finally:
            dst.close()
    except sqlite3.Error as err:
        raise BackupError(f"SQLite restore failed: {err}") from err
    finally:
        src.close()
