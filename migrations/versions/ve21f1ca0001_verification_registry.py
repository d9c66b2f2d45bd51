"""Verification methods as a registry: levels, expiry, the identity a
mediator checked on the roll, per-space requirements, postal letter codes.

Existing verifications become level 1 (census list) or level 2 (in person).

Revision ID: ve21f1ca0001
Revises: c1a0de160001
Create Date: 2026-12-04 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 've21f1ca0001'
down_revision = 'c1a0de160001'
branch_labels = None
depends_on = None

OLD_METHODS = "method IN ('census', 'in_person')"
NEW_METHODS = "method IN ('census', 'in_person', 'oidc_roll', 'postal_code')"


def upgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_index('uq_verification_active', sqlite_where=sa.text('revoked_at IS NULL'),
                            postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_constraint(op.f('ck_verification_verificationmethod'), type_='check')
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('identity_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('district_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_verification_verificationmethod'), NEW_METHODS)
    op.execute("UPDATE verification SET level = CASE WHEN method = 'in_person' THEN 2 ELSE 1 END")
    with op.batch_alter_table('verification', schema=None) as batch_op:
        # The server default keeps the previous release's inserts working while it
        # still runs (it sets no level): 1, the lower level, until the new code runs.
        batch_op.alter_column('level', existing_type=sa.Integer(), nullable=False, server_default='1')
        batch_op.create_check_constraint(op.f('ck_verification_level'), 'level IN (1, 2)')
        batch_op.create_index('uq_verification_active', ['user_id'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL AND district_id IS NOT NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL AND district_id IS NOT NULL'))
        batch_op.create_index('uq_verification_method', ['user_id', 'method'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('space_requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('min_level', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('census', 'in_person', 'oidc_roll', 'postal_code', name='verificationmethod',
                                native_enum=False, length=20, create_constraint=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('min_level IS NULL OR min_level IN (1, 2)', name=op.f('ck_space_requirement_min_level')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_space_requirement_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_requirement')),
    sa.UniqueConstraint('kind', 'object_id', 'action', name=op.f('uq_space_requirement_kind_object_id_action'))
    )
    op.create_table('postal_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('letter_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_postal_batch_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postal_batch'))
    )
    op.create_table('postal_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['postal_batch.id'], name=op.f('fk_postal_letter_batch_id_postal_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_postal_letter_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postal_letter'))
    )
    with op.batch_alter_table('postal_letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postal_letter_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('postal_letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postal_letter_user_id'))
    op.drop_table('postal_letter')
    op.drop_table('postal_batch')
    op.drop_table('space_requirement')
    # Only what the old schema can hold: one active residence per person.
    op.execute("DELETE FROM verification WHERE method IN ('oidc_roll', 'postal_code') OR district_id IS NULL")
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_index('uq_verification_method', sqlite_where=sa.text('revoked_at IS NULL'),
                            postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index('uq_verification_active',
                            sqlite_where=sa.text('revoked_at IS NULL AND district_id IS NOT NULL'),
                            postgresql_where=sa.text('revoked_at IS NULL AND district_id IS NOT NULL'))
        batch_op.drop_constraint(op.f('ck_verification_level'), type_='check')
        batch_op.drop_constraint(op.f('ck_verification_verificationmethod'), type_='check')
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('identity_hash')
        batch_op.drop_column('level')
        batch_op.alter_column('district_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_verification_verificationmethod'), OLD_METHODS)
        batch_op.create_index('uq_verification_active', ['user_id'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
