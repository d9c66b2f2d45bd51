"""Sign-in with OpenID Connect (FranceConnect): an account's link to a
provider, as a keyed hash of the provider's subject plus the facts derived
from its claims (identity vouched for, when, at which level, and the keyed
hash of the normalised identity matched against the electoral roll).

Revision ID: d17a0c1e0001
Revises: 60c6c43e5d0d
Create Date: 2026-12-02 19:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd17a0c1e0001'
down_revision = '60c6c43e5d0d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'oidc_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=False),
        sa.Column('subject_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.Column('identity_verified_at', sa.DateTime(), nullable=True),
        sa.Column('identity_acr', sa.String(length=40), nullable=True),
        sa.Column('identity_hash', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('provider', 'subject_hash'),
        sa.UniqueConstraint('user_id', 'provider'),
    )
    with op.batch_alter_table('oidc_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_identity_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_identity_identity_hash'), ['identity_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('oidc_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_identity_identity_hash'))
        batch_op.drop_index(batch_op.f('ix_oidc_identity_user_id'))
    op.drop_table('oidc_identity')
