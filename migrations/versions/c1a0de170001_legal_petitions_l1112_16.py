"""Legal petitions (CGCT L1112-16): the request's kind and authority, the
threshold frozen from the roll, the law's dated steps, the council's session
calendar and the quarter rule (one request per elector, authority and quarter).

Revision ID: c1a0de170001
Revises: ve21f1ca0001
Create Date: 2026-12-04 01:28:47.875116

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c1a0de170001'
down_revision = 've21f1ca0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('council_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('authority', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_session'))
    )
    with op.batch_alter_table('council_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_session_held_on'), ['held_on'], unique=False)

    op.create_table('legal_signature_quarter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity_hash', sa.String(length=64), nullable=False),
    sa.Column('authority', sa.String(length=160), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_legal_signature_quarter_petition_id_petition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signature_id'], ['petition_signature.id'], name=op.f('fk_legal_signature_quarter_signature_id_petition_signature'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_signature_quarter')),
    sa.UniqueConstraint('identity_hash', 'authority', 'quarter', name=op.f('uq_legal_signature_quarter_identity_hash_authority_quarter')),
    sa.UniqueConstraint('identity_hash', 'petition_id', name=op.f('uq_legal_signature_quarter_identity_hash_petition_id'))
    )
    with op.batch_alter_table('legal_signature_quarter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_signature_quarter_petition_id'), ['petition_id'], unique=False)

    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_kind', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('authority', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('authority_type', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('threshold_from_roll', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('roll_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('roll_elector_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('legal_transmitted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('legal_acknowledged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('legal_acknowledged_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('legal_informed_session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('legal_informed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('legal_decided_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('legal_decided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('legal_deliberation_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('legal_decision_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('legal_deliberation_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('legal_decided_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_petition_legal_decided_by_id_user'), 'user', ['legal_decided_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_petition_legal_acknowledged_by_id_user'), 'user', ['legal_acknowledged_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_petition_roll_id_electoral_roll'), 'electoral_roll', ['roll_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_petition_legal_informed_session_id_council_session'), 'council_session', ['legal_informed_session_id'], ['id'], ondelete='SET NULL')
        # The CHECKs the models create (enum_column and the table's own).
        batch_op.create_check_constraint(op.f('ck_petition_legalkind'), "legal_kind IN ('I', 'II')")
        batch_op.create_check_constraint(op.f('ck_petition_authoritytype'), "authority_type IN ('commune', 'other')")
        batch_op.create_check_constraint(
            op.f('ck_petition_legal_authority'),
            "legal_kind IS NULL OR (authority IS NOT NULL AND authority_type IS NOT NULL)")



def downgrade():
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_petition_legal_authority'), type_='check')
        batch_op.drop_constraint(op.f('ck_petition_authoritytype'), type_='check')
        batch_op.drop_constraint(op.f('ck_petition_legalkind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_petition_legal_informed_session_id_council_session'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_petition_roll_id_electoral_roll'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_petition_legal_acknowledged_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_petition_legal_decided_by_id_user'), type_='foreignkey')
        batch_op.drop_column('legal_decided_by_id')
        batch_op.drop_column('legal_deliberation_url')
        batch_op.drop_column('legal_decision_html')
        batch_op.drop_column('legal_deliberation_number')
        batch_op.drop_column('legal_decided_at')
        batch_op.drop_column('legal_decided_on')
        batch_op.drop_column('legal_informed_at')
        batch_op.drop_column('legal_informed_session_id')
        batch_op.drop_column('legal_acknowledged_by_id')
        batch_op.drop_column('legal_acknowledged_at')
        batch_op.drop_column('legal_transmitted_at')
        batch_op.drop_column('roll_elector_count')
        batch_op.drop_column('roll_id')
        batch_op.drop_column('threshold_from_roll')
        batch_op.drop_column('authority_type')
        batch_op.drop_column('authority')
        batch_op.drop_column('legal_kind')

    with op.batch_alter_table('legal_signature_quarter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_signature_quarter_petition_id'))

    op.drop_table('legal_signature_quarter')
    with op.batch_alter_table('council_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_session_held_on'))

    op.drop_table('council_session')
