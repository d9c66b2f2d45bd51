"""Open data daily series (issue 20): counts per local day that each module
recomputes from its source rows and publishes through the dataset registry:
signatures per petition and district, supports per proposal, ballots per
budget edition and district, answers per consultation; and the two indexes
that let them read a day of signatures on paper and of supports.

Revision ID: e20a0d5e0001
Revises: d17a0c1e0001
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e20a0d5e0001'
down_revision = 'd17a0c1e0001'
branch_labels = None
depends_on = None


def upgrade():
    # The daily series read their source rows by day.
    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.create_index('ix_petition_signature_paper_date', ['paper_date'], unique=False,
                              postgresql_where=sa.text('paper_date IS NOT NULL'),
                              sqlite_where=sa.text('paper_date IS NOT NULL'))
    with op.batch_alter_table('proposal_support', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_support_created', ['created_at'], unique=False)

    op.create_table(
        'petition_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('signatures', sa.Integer(), nullable=False),
        sa.CheckConstraint('signatures > 0', name=op.f('ck_petition_daily_positive')),
        sa.ForeignKeyConstraint(['district_id'], ['district.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('petition_daily', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_daily_day'), ['day'], unique=False)
        batch_op.create_index('ix_petition_daily_petition_day', ['petition_id', 'day'], unique=False)

    op.create_table(
        'proposal_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('supports', sa.Integer(), nullable=False),
        sa.CheckConstraint('supports > 0', name=op.f('ck_proposal_daily_positive')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('proposal_id', 'day'),
    )
    with op.batch_alter_table('proposal_daily', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_daily_day'), ['day'], unique=False)

    op.create_table(
        'budget_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('ballots', sa.Integer(), nullable=False),
        sa.CheckConstraint('ballots > 0', name=op.f('ck_budget_daily_positive')),
        sa.ForeignKeyConstraint(['district_id'], ['district.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['edition_id'], ['budget_edition.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('budget_daily', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_daily_day'), ['day'], unique=False)
        batch_op.create_index('ix_budget_daily_edition_day', ['edition_id', 'day'], unique=False)

    op.create_table(
        'consultation_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
        sa.CheckConstraint('answers > 0', name=op.f('ck_consultation_daily_positive')),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('consultation_id', 'day'),
    )
    with op.batch_alter_table('consultation_daily', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_daily_day'), ['day'], unique=False)


def downgrade():
    for table in ('consultation_daily', 'budget_daily', 'proposal_daily', 'petition_daily'):
        op.drop_table(table)
    with op.batch_alter_table('proposal_support', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_support_created')
    with op.batch_alter_table('petition_signature', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_signature_paper_date')
