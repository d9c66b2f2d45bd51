"""Citizens' assemblies: the assembly space (mandate, size, state), its
members (first name shown by their choice), sittings, documents, expert
hearings, working groups, and the recommendations adopted with their vote
counts, official answer and implementation updates.

Revision ID: a55e0b1e0001
Revises: 83e3ab5d9b7f
Create Date: 2026-12-03 11:38:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a55e0b1e0001'
down_revision = '83e3ab5d9b7f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assembly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('mandate', sa.Text(), nullable=False),
    sa.Column('mandate_html', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('draft', 'selecting', 'sitting', 'concluded', name='assemblystate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(), nullable=False),
    sa.Column('answer_delay_days', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state = 'draft' OR published_at IS NOT NULL", name=op.f('ck_assembly_published')),
    sa.CheckConstraint('answer_delay_days > 0', name=op.f('ck_assembly_answer_delay')),
    sa.CheckConstraint('size > 0', name=op.f('ck_assembly_size')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_assembly_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_assembly_district_id_district'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly'))
    )
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.create_index('ix_assembly_state', ['state'], unique=False)

    op.create_table('assembly_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('remit_html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_group_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_group'))
    )
    with op.batch_alter_table('assembly_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_group_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('assembly_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sa.String(length=80), nullable=True),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_member_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assembly_member_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_member')),
    sa.UniqueConstraint('assembly_id', 'user_id', name=op.f('uq_assembly_member_assembly_id_user_id'))
    )
    with op.batch_alter_table('assembly_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_member_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assembly_member_user_id'), ['user_id'], unique=False)

    op.create_table('assembly_sitting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('summary_html', sa.Text(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_assembly_sitting_dates')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_sitting_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_sitting'))
    )
    with op.batch_alter_table('assembly_sitting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_sitting_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('assembly_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_document_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sitting_id'], ['assembly_sitting.id'], name=op.f('fk_assembly_document_sitting_id_assembly_sitting'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_document'))
    )
    with op.batch_alter_table('assembly_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_document_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('assembly_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['assembly_group.id'], name=op.f('fk_assembly_group_member_group_id_assembly_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['assembly_member.id'], name=op.f('fk_assembly_group_member_member_id_assembly_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'member_id', name=op.f('pk_assembly_group_member'))
    )
    with op.batch_alter_table('assembly_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_group_member_member_id'), ['member_id'], unique=False)

    op.create_table('assembly_hearing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=True),
    sa.Column('expert', sa.String(length=200), nullable=False),
    sa.Column('affiliation', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('summary_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_hearing_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sitting_id'], ['assembly_sitting.id'], name=op.f('fk_assembly_hearing_sitting_id_assembly_sitting'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_hearing'))
    )
    with op.batch_alter_table('assembly_hearing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_hearing_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('assembly_recommendation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('votes_for', sa.Integer(), nullable=False),
    sa.Column('votes_against', sa.Integer(), nullable=False),
    sa.Column('votes_abstain', sa.Integer(), nullable=False),
    sa.Column('adopted_at', sa.DateTime(), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(), nullable=False),
    sa.Column('decision', sa.Enum('accepted', 'partly', 'rejected', name='answerdecision', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answer_html', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('answered_at IS NULL OR (decision IS NOT NULL AND answer_html IS NOT NULL)', name=op.f('ck_assembly_recommendation_answered')),
    sa.CheckConstraint('votes_for > votes_against', name=op.f('ck_assembly_recommendation_adopted')),
    sa.CheckConstraint('votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0', name=op.f('ck_assembly_recommendation_votes')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_assembly_recommendation_answered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_recommendation_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['assembly_group.id'], name=op.f('fk_assembly_recommendation_group_id_assembly_group'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_recommendation')),
    sa.UniqueConstraint('assembly_id', 'number', name=op.f('uq_assembly_recommendation_assembly_id_number'))
    )
    with op.batch_alter_table('assembly_recommendation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_recommendation_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('assembly_recommendation_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'done', 'halted', name='implementationstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('note_html', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_assembly_recommendation_update_progress')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_assembly_recommendation_update_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recommendation_id'], ['assembly_recommendation.id'], name=op.f('fk_assembly_recommendation_update_recommendation_id_assembly_recommendation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_recommendation_update'))
    )
    with op.batch_alter_table('assembly_recommendation_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_recommendation_update_recommendation_id'), ['recommendation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assembly_recommendation_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_recommendation_update_recommendation_id'))

    op.drop_table('assembly_recommendation_update')
    with op.batch_alter_table('assembly_recommendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_recommendation_assembly_id'))

    op.drop_table('assembly_recommendation')
    with op.batch_alter_table('assembly_hearing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_hearing_assembly_id'))

    op.drop_table('assembly_hearing')
    with op.batch_alter_table('assembly_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_group_member_member_id'))

    op.drop_table('assembly_group_member')
    with op.batch_alter_table('assembly_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_document_assembly_id'))

    op.drop_table('assembly_document')
    with op.batch_alter_table('assembly_sitting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_sitting_assembly_id'))

    op.drop_table('assembly_sitting')
    with op.batch_alter_table('assembly_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_assembly_member_assembly_id'))

    op.drop_table('assembly_member')
    with op.batch_alter_table('assembly_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_group_assembly_id'))

    op.drop_table('assembly_group')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_index('ix_assembly_state')

    op.drop_table('assembly')
