"""Migrations upgrade an empty database to exactly the models' schema."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from civic import create_app
from civic.extensions import db
from tests.conftest import TEST_DATABASE_URL, _config, _normalise_pg


@pytest.fixture
def empty_database_url(tmp_path):
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    base = sa.engine.make_url(_normalise_pg(TEST_DATABASE_URL))
    name = f"civic_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
    assert diffs == [], "models and migrations differ: run `flask --app wsgi db migrate`\n" + "\n".join(map(repr, diffs))
