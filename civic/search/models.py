"""The search index: one ``search_document`` row per public item.

Only public items have a row (a kind's ``search_document`` hook answers None
for drafts, hidden and moderated-out items, and the row is deleted), so no
query needs a visibility filter and a hidden item cannot leak through a
forgotten one. Rows hold only what the item's public page shows: never an
author's name or address.

The full-text part is per dialect and lives outside the model, created by
the same DDL in the migration and in ``create_all`` (the test schema):

- PostgreSQL: the text search configuration ``civic_fr`` (French stemming
  after ``unaccent``), a generated ``tsv`` column and its GIN index;
- SQLite: the FTS5 table ``search_fts`` (``unicode61 remove_diacritics 2``)
  over ``search_document``, kept in step by triggers.

``FULLTEXT_ARTEFACTS`` names them, for the comparison of models and
migrations (``tests/core/test_migrations.py``) to leave them out.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.extensions import db

FULLTEXT_ARTEFACTS = ("search_fts", "search_document_tsv", "'tsv'")

PG_DDL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # CREATE TEXT SEARCH CONFIGURATION has no IF NOT EXISTS; the test suite
    # recreates the tables in a database that keeps its configuration.
    """DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'civic_fr') THEN
        CREATE TEXT SEARCH CONFIGURATION civic_fr (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION civic_fr
          ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
      END IF;
    END $$""",
    """ALTER TABLE search_document ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('civic_fr'::regconfig, coalesce(title, '')), 'A') ||
      setweight(to_tsvector('civic_fr'::regconfig, coalesce(body, '')), 'B')) STORED""",
    "CREATE INDEX search_document_tsv ON search_document USING gin (tsv)",
]

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_document',
      content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_document BEGIN
      INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_document BEGIN
      INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_document BEGIN
      INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
      INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END""",
]

SQLITE_DROP = ["DROP TRIGGER IF EXISTS search_fts_update", "DROP TRIGGER IF EXISTS search_fts_delete",
               "DROP TRIGGER IF EXISTS search_fts_insert", "DROP TABLE IF EXISTS search_fts"]


def fulltext_ddl(dialect: str) -> list[str]:
    """The statements that add the full-text part, after the table exists."""
    return PG_DDL if dialect == "postgresql" else SQLITE_DDL if dialect == "sqlite" else []


class SearchDocument(db.Model):
    """What the search shows of one public item, in plain text."""

    __tablename__ = "search_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(sa.String(500))
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    indexed_at: Mapped[datetime] = mapped_column(sa.DateTime)

    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id"),
        sa.Index("ix_search_document_district_id", "district_id"),
    )


@sa.event.listens_for(SearchDocument.__table__, "after_create")
def _create_fulltext(_table, connection, **_kw):
    for statement in fulltext_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(SearchDocument.__table__, "before_drop")
def _drop_fulltext(_table, connection, **_kw):
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)
