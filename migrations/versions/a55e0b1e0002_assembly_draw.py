"""Citizens' assemblies, the draw: one selection per assembly (state, seeds
and their commitment, the frozen anonymised files, the report's figures),
its quotas, the stage-1 invitations (keyed hashes of the reply codes) and the
volunteers (features erased after the selection closes unless selected).

Revision ID: a55e0b1e0002
Revises: a55e0b1e0001
Create Date: 2026-12-03 11:40:09.407454

"""
from alembic import op
import sqlalchemy as sa


revision = 'a55e0b1e0002'
down_revision = 'a55e0b1e0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assembly_selection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('open', 'committed', 'drawn', 'closed', name='selectionstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('algorithm', sa.Enum('maximin', 'nash', 'legacy', name='algorithm', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('sensitive', sa.JSON(), nullable=False),
    sa.Column('invitation_seed', sa.String(length=100), nullable=True),
    sa.Column('address_count', sa.Integer(), nullable=True),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.Column('seed_commitment', sa.String(length=64), nullable=True),
    sa.Column('seed', sa.String(length=100), nullable=True),
    sa.Column('respondents_csv', sa.Text(), nullable=True),
    sa.Column('categories_csv', sa.Text(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('replacements', sa.Integer(), nullable=False),
    sa.Column('draw_requested_at', sa.DateTime(), nullable=True),
    sa.Column('draw_requested_by_id', sa.Integer(), nullable=True),
    sa.Column('draw_error', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('data_deleted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state = 'open' OR seed_commitment IS NOT NULL", name=op.f('ck_assembly_selection_committed')),
    sa.CheckConstraint("state IN ('open', 'committed') OR seed IS NOT NULL", name=op.f('ck_assembly_selection_revealed')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_selection_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draw_requested_by_id'], ['user.id'], name=op.f('fk_assembly_selection_draw_requested_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_selection')),
    sa.UniqueConstraint('assembly_id', name=op.f('uq_assembly_selection_assembly_id'))
    )
    op.create_table('assembly_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['selection_id'], ['assembly_selection.id'], name=op.f('fk_assembly_invitation_selection_id_assembly_selection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_invitation')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_assembly_invitation_code_hash')),
    sa.UniqueConstraint('selection_id', 'position', name=op.f('uq_assembly_invitation_selection_id_position'))
    )
    with op.batch_alter_table('assembly_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_invitation_selection_id'), ['selection_id'], unique=False)

    op.create_table('assembly_quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.Column('min', sa.Integer(), nullable=False),
    sa.Column('max', sa.Integer(), nullable=False),
    sa.CheckConstraint('min >= 0 AND min <= max', name=op.f('ck_assembly_quota_bounds')),
    sa.ForeignKeyConstraint(['selection_id'], ['assembly_selection.id'], name=op.f('fk_assembly_quota_selection_id_assembly_selection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_quota')),
    sa.UniqueConstraint('selection_id', 'category', 'value', name=op.f('uq_assembly_quota_selection_id_category_value'))
    )
    with op.batch_alter_table('assembly_quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_quota_selection_id'), ['selection_id'], unique=False)

    op.create_table('assembly_volunteer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=40), nullable=True),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('household', sa.String(length=64), nullable=True),
    sa.Column('features', sa.JSON(), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('pool', 'selected', 'not_selected', 'withdrawn', name='volunteerstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['assembly_invitation.id'], name=op.f('fk_assembly_volunteer_invitation_id_assembly_invitation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['assembly_member.id'], name=op.f('fk_assembly_volunteer_member_id_assembly_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_assembly_volunteer_recorded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['selection_id'], ['assembly_selection.id'], name=op.f('fk_assembly_volunteer_selection_id_assembly_selection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assembly_volunteer_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_volunteer')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_assembly_volunteer_invitation_id')),
    sa.UniqueConstraint('selection_id', 'ref', name=op.f('uq_assembly_volunteer_selection_id_ref'))
    )
    with op.batch_alter_table('assembly_volunteer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_volunteer_selection_id'), ['selection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assembly_volunteer_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assembly_volunteer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_volunteer_user_id'))
        batch_op.drop_index(batch_op.f('ix_assembly_volunteer_selection_id'))

    op.drop_table('assembly_volunteer')
    with op.batch_alter_table('assembly_quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_quota_selection_id'))

    op.drop_table('assembly_quota')
    with op.batch_alter_table('assembly_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_invitation_selection_id'))

    op.drop_table('assembly_invitation')
    op.drop_table('assembly_selection')
