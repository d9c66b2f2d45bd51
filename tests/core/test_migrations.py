"""Migrations upgrade an empty database to exactly the models' schema."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from civic import create_app
from civic.extensions import db
from civic.search.models import FULLTEXT_ARTEFACTS
from tests.conftest import TEST_DATABASE_URL, _config, _normalise_pg


@pytest.fixture
def new_database(tmp_path):
    """A factory of empty databases of the suite's kind (SQLite files, or
    PostgreSQL databases dropped at the end)."""
    created = []
    base = sa.engine.make_url(_normalise_pg(TEST_DATABASE_URL)) if TEST_DATABASE_URL else None
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT") if base else None

    def make():
        name = f"civic_mig_{uuid.uuid4().hex[:8]}"
        if not base:
            return f"sqlite:///{tmp_path / (name + '.db')}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    if admin:
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def empty_database_url(new_database):
    return new_database()


def _check_constraints(url):
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {(table, ck["name"]) for table in inspector.get_table_names() if not table.startswith("test_")
                for ck in inspector.get_check_constraints(table)}
    finally:
        engine.dispose()


def test_upgrading_an_empty_database_gives_the_models_schema(tmp_path, empty_database_url):
    app = create_app(_config(tmp_path, empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, db.metadata)
        db.engine.dispose()
    # Test-only tables (tests/<domain>/fakes.py) are not part of the application.
    diffs = [d for d in diffs if "test_" not in repr(d)[:200]]
    # The search's full-text part is per dialect DDL outside the models (a
    # generated tsvector column and its GIN index, or the FTS5 table and its
    # shadow tables), created by the same statements in both paths.
    diffs = [d for d in diffs if not any(name in repr(d)[:300] for name in FULLTEXT_ARTEFACTS)]
    assert diffs == [], "models and migrations differ: run `flask --app wsgi db migrate`\n" + "\n".join(map(repr, diffs))


def test_migrations_create_every_check_constraint_of_the_models(tmp_path, new_database):
    """Alembic's comparison ignores CHECK constraints, so compare them by name
    with the schema the models create (enum columns included)."""
    migrated, created = new_database(), new_database()
    app = create_app(_config(tmp_path, migrated))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    app = create_app(_config(tmp_path, created))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    from_models = _check_constraints(created)
    assert ("petition", "ck_petition_petitionstate") in from_models
    assert ("user_role", "ck_user_role_role") in from_models
    assert _check_constraints(migrated) - {("alembic_version", None)} == from_models
