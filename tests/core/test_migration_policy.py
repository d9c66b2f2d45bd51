"""Migrations without downtime: every migration after the baseline only
expands the schema (docs/deploy.md, "Migrations without downtime").

``flask db upgrade`` runs while the previous release's web and workers still
serve. That is safe when the new schema is a superset of the old one that the
old code can still write to: new tables, new nullable (or defaulted) columns,
new indexes. Dropping, renaming, changing a type or making a column NOT NULL
without a server default is a *contract* step: it ships only in a release
after the one whose code stopped using the thing, and says so with

    CONTRACT = {"release": "0.3.0", "stopped_using": "petition.legacy_count"}

at module level, ``release`` lower than the version in pyproject.toml (the
release being built).

Two checks: the migrations' source (each call of ``upgrade()``), and the
schema itself (upgrade to the baseline, then to the heads: every table and
column of the old schema is still there with its type, and a column added to
an old table is nullable or has a server default). The second cannot see what
changes meaning without changing shape (a new CHECK, a trigger, a backfill
that rewrites values): review still reads those.
"""

from __future__ import annotations

import ast
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from civic import create_app
from tests.conftest import _config

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "migrations" / "versions"
# The last revision of the releases before this policy: what it allows or
# refuses starts after it.
BASELINE = "d17a0c1e0001"

_CONTRACTING_CALLS = {"drop_table": "drops a table", "drop_column": "drops a column",
                      "rename_table": "renames a table"}
_CONTRACTING_SQL = re.compile(r"\b(DROP\s+(TABLE|COLUMN)|RENAME\b|SET\s+NOT\s+NULL|ALTER\s+COLUMN\s+\S+\s+TYPE)\b",
                              re.IGNORECASE)
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _current_release() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _module(path: Path) -> dict:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = {"path": path, "tree": tree, "upgrade": None, "contract": None}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("revision", "down_revision", "CONTRACT"):
                out[name.lower()] = ast.literal_eval(node.value)
        elif isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            out["upgrade"] = node
    return out


def migrations_after(versions: Path, baseline: str = BASELINE) -> list[dict]:
    """The migrations descending from ``baseline`` (whatever their order:
    helpers' branches all start at it until they are re-chained)."""
    mods = [_module(p) for p in sorted(versions.glob("*.py"))]
    children: dict[str, list[dict]] = {}
    for m in mods:
        downs = m["down_revision"]
        for down in (downs if isinstance(downs, (tuple, list)) else [downs]):
            children.setdefault(down, []).append(m)
    out, todo, seen = [], [baseline], set()
    while todo:
        for m in children.get(todo.pop(), []):
            if m["revision"] not in seen:
                seen.add(m["revision"])
                out.append(m)
                todo.append(m["revision"])
    return out


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _is_false(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def contracting_steps(mod: dict) -> list[str]:
    """What ``upgrade()`` does that the previous release's code may not survive."""
    if mod["upgrade"] is None:
        return []
    found = []
    calls = sorted((n for n in ast.walk(mod["upgrade"]) if isinstance(n, ast.Call)), key=lambda n: n.lineno)
    for node in calls:
        name, kw = _call_name(node), {k.arg: k.value for k in node.keywords}
        where = f"line {node.lineno}"
        if name in _CONTRACTING_CALLS:
            found.append(f"{where}: {name} {_CONTRACTING_CALLS[name]}")
        elif name == "alter_column":
            if "new_column_name" in kw:
                found.append(f"{where}: alter_column(new_column_name=...) renames a column")
            if _is_false(kw.get("nullable")) and "server_default" not in kw:
                found.append(f"{where}: alter_column(nullable=False) without server_default")
            if "type_" in kw:
                found.append(f"{where}: alter_column(type_=...) changes a column's type")
        elif name == "add_column":
            for arg in [*node.args, *kw.values()]:
                if isinstance(arg, ast.Call) and _call_name(arg) == "Column":
                    ckw = {k.arg: k.value for k in arg.keywords}
                    if _is_false(ckw.get("nullable")) and "server_default" not in ckw \
                            and not _is_true(ckw.get("primary_key")):
                        found.append(f"{where}: add_column of a NOT NULL column without server_default "
                                     "(the previous release's INSERTs omit it)")
        elif name == "execute":
            for arg in node.args:
                text = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ""
                if isinstance(arg, ast.Call) and arg.args and isinstance(arg.args[0], ast.Constant):
                    text = str(arg.args[0].value)  # op.execute(sa.text("..."))
                if _CONTRACTING_SQL.search(text):
                    found.append(f"{where}: execute({text[:60]!r}) contracts the schema")
    return found


def policy_violations(versions: Path, release: str | None = None) -> list[str]:
    """Every migration after the baseline that contracts the schema without a
    valid ``CONTRACT`` declaration, and every invalid declaration."""
    release = release or _current_release()
    out = []
    for mod in migrations_after(versions):
        label = f"{mod['path'].name} ({mod['revision']})"
        steps = contracting_steps(mod)
        contract = mod["contract"]
        if contract is not None:
            if not (isinstance(contract, dict) and isinstance(contract.get("release"), str)
                    and _VERSION.match(contract["release"]) and contract.get("stopped_using")):
                out.append(f"{label}: CONTRACT must be {{'release': 'X.Y.Z', 'stopped_using': '...'}}")
            elif _version(contract["release"]) >= _version(release):
                out.append(f"{label}: CONTRACT release {contract['release']} is not before {release}: "
                           "a contract step ships only once a released version no longer uses what it removes")
            continue
        out += [f"{label}: {step}" for step in steps]
    return out


def test_migrations_after_the_baseline_only_expand():
    problems = policy_violations(VERSIONS)
    assert problems == [], ("these migrations would break the previous release while it still runs "
                            "(docs/deploy.md, 'Migrations without downtime'):\n" + "\n".join(problems))


# --- the rule itself, on sample migrations written to a temporary folder ------

_HEADER = '''from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None
{extra}

def upgrade():
{body}


def downgrade():
    pass
'''

_CONTRACTING = {
    "drop_table": '    op.drop_table("petition")',
    "drop_column": '    with op.batch_alter_table("petition") as batch:\n        batch.drop_column("title")',
    "rename_table": '    op.rename_table("petition", "petitions")',
    "rename_column": '    op.alter_column("petition", "title", new_column_name="name")',
    "not_null": '    op.alter_column("petition", "details", nullable=False)',
    "type": '    op.alter_column("petition", "title", type_=sa.String(40))',
    "add_not_null": '    op.add_column("petition", sa.Column("score", sa.Integer(), nullable=False))',
    "raw_sql": '    op.execute("ALTER TABLE petition DROP COLUMN details")',
    "raw_text": '    op.execute(sa.text("ALTER TABLE petition RENAME COLUMN title TO name"))',
}

_EXPANDING = {
    "new_table": '    op.create_table("petition_note", sa.Column("id", sa.Integer(), primary_key=True),\n'
                 '                    sa.Column("body", sa.Text(), nullable=False))',
    "nullable_column": '    op.add_column("petition", sa.Column("score", sa.Integer(), nullable=True))',
    "defaulted_column": '    op.add_column("petition", sa.Column("score", sa.Integer(), nullable=False,'
                        ' server_default="0"))',
    "not_null_with_default": '    op.alter_column("petition", "details", nullable=False, server_default="")',
    "index": '    op.create_index("ix_petition_title", "petition", ["title"])',
}


def _write(folder: Path, rev: str, body: str, down: str = BASELINE, extra: str = "") -> None:
    (folder / f"{rev}_sample.py").write_text(_HEADER.format(rev=rev, down=down, body=body, extra=extra))


@pytest.fixture
def versions(tmp_path):
    folder = tmp_path / "versions"
    shutil.copytree(VERSIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.mark.parametrize("case", sorted(_CONTRACTING))
def test_a_contracting_migration_fails_the_policy(versions, case):
    _write(versions, "bad000000001", _CONTRACTING[case])
    problems = policy_violations(versions)
    assert len(problems) == 1 and problems[0].startswith("bad000000001_sample.py"), problems


def test_it_is_found_anywhere_after_the_baseline(versions):
    _write(versions, "good00000001", _EXPANDING["index"])
    _write(versions, "bad000000002", _CONTRACTING["drop_table"], down="good00000001")
    assert [p.split(":")[0] for p in policy_violations(versions)] == ["bad000000002_sample.py (bad000000002)"]


def test_the_migrations_before_the_baseline_are_not_judged(versions):
    # The initial schema's own downgrade-style steps predate the policy.
    assert all(m["revision"] != BASELINE for m in migrations_after(versions))
    assert policy_violations(versions) == []


@pytest.mark.parametrize("case", sorted(_EXPANDING))
def test_an_expanding_migration_passes(versions, case):
    _write(versions, "good00000001", _EXPANDING[case])
    assert policy_violations(versions) == []


def test_a_declared_contract_step_passes_once_a_release_stopped_using_it(versions):
    _write(versions, "bad000000001", _CONTRACTING["drop_column"],
           extra='CONTRACT = {"release": "0.2.0", "stopped_using": "petition.title"}\n')
    assert policy_violations(versions, release="0.3.0") == []
    # ...but not in the release that stops using it, nor without naming it.
    assert "is not before 0.2.0" in policy_violations(versions, release="0.2.0")[0]
    _write(versions, "bad000000001", _CONTRACTING["drop_column"], extra='CONTRACT = "later"\n')
    assert "CONTRACT must be" in policy_violations(versions, release="0.3.0")[0]


# --- the schema: the previous release's tables and columns survive -----------

def _schema(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {table: {c["name"]: (str(c["type"]), c["nullable"], c.get("default") is not None)
                        for c in inspector.get_columns(table)}
                for table in inspector.get_table_names() if table != "alembic_version"}
    finally:
        engine.dispose()


def schema_breaks(before: dict, after: dict) -> list[str]:
    """What the previous release, written against ``before``, cannot do on ``after``."""
    out = []
    for table, columns in before.items():
        if table not in after:
            out.append(f"table {table} is gone")
            continue
        for name, (type_, nullable, _default) in columns.items():
            if name not in after[table]:
                out.append(f"column {table}.{name} is gone")
            elif after[table][name][0] != type_:
                out.append(f"column {table}.{name} changed type {type_} -> {after[table][name][0]}")
            elif nullable and not after[table][name][1] and not after[table][name][2]:
                out.append(f"column {table}.{name} became NOT NULL without a default")
        for name, (_type, nullable, default) in after[table].items():
            if name not in columns and not nullable and not default:
                out.append(f"new column {table}.{name} is NOT NULL without a default")
    return out


def _upgrade_twice(tmp_path, directory: Path) -> tuple[dict, dict]:
    url = f"sqlite:///{tmp_path / 'policy.db'}"
    app = create_app(_config(tmp_path, url))
    with app.app_context():
        upgrade(directory=str(directory), revision=BASELINE)
        before = _schema(url)
        upgrade(directory=str(directory), revision="heads")
        after = _schema(url)
    return before, after


def test_upgrading_from_the_baseline_keeps_what_the_previous_release_uses(tmp_path):
    before, after = _upgrade_twice(tmp_path, ROOT / "migrations")
    assert before, "the baseline schema is empty: the upgrade did not run"
    assert schema_breaks(before, after) == []


def test_the_schema_check_sees_a_dropped_column(tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", folder, ignore=shutil.ignore_patterns("__pycache__"))
    _write(folder / "versions", "bad000000001",
           '    with op.batch_alter_table("petition") as batch:\n        batch.drop_column("details")\n'
           '    op.add_column("petition", sa.Column("score", sa.Integer(), nullable=False, server_default="0"))\n'
           '    op.add_column("petition", sa.Column("rank", sa.Integer(), nullable=True))')
    before, after = _upgrade_twice(tmp_path, folder)
    assert schema_breaks(before, after) == ["column petition.details is gone"]
