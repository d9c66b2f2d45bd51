"""Site-wide search: the search_document table and its full-text part
(PostgreSQL: the civic_fr text search configuration with unaccent, a
generated tsvector column and its GIN index; SQLite: the FTS5 table
search_fts kept in step by triggers).

Revision ID: 5ea4c0de0001
Revises: c1a0de010001
Create Date: 2026-12-04 01:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5ea4c0de0001'
down_revision = 'c1a0de010001'
branch_labels = None
depends_on = None

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


def upgrade():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('indexed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_search_document_district_id_district'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('kind', 'object_id', name=op.f('uq_search_document_kind_object_id'))
    )
    op.create_index('ix_search_document_district_id', 'search_document', ['district_id'], unique=False)
    # The same statements as create_all's (civic/search/models.py), written
    # out here so that this revision does not change when the code does.
    dialect = op.get_bind().dialect.name
    for statement in PG_DDL if dialect == 'postgresql' else SQLITE_DDL if dialect == 'sqlite' else []:
        op.execute(statement)
    # The index fills itself: the periodic job search.reindex (or
    # `flask civic search reindex`) indexes the existing items.


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_DROP:
            op.execute(statement)
    op.drop_index('ix_search_document_district_id', table_name='search_document')
    op.drop_table('search_document')
    if bind.dialect.name == 'postgresql':
        op.execute('DROP TEXT SEARCH CONFIGURATION IF EXISTS civic_fr')
