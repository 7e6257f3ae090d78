"""sync state

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate',
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('issuer_code', sa.String(length=12), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('not_after', sa.DateTime(), nullable=False),
    sa.Column('encoded', sa.LargeBinary(), nullable=False),
    sa.Column('is_root', sa.Boolean(), nullable=False),
    sa.Column('is_own', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('serial', name=op.f('pk_certificate'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_region_code'), ['region_code'], unique=False)

    op.create_table('office_keyring',
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('suite', sa.String(length=80), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('region_code', name=op.f('pk_office_keyring'))
    )
    op.create_table('pending_receipt',
    sa.Column('package_id', sa.String(length=64), nullable=False),
    sa.Column('neighbour_code', sa.String(length=12), nullable=False),
    sa.Column('acknowledged', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_in_package', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('package_id', name=op.f('pk_pending_receipt'))
    )
    with op.batch_alter_table('pending_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_receipt_neighbour_code'), ['neighbour_code'], unique=False)

    op.create_table('revocation',
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('issuer_code', sa.String(length=12), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=False),
    sa.Column('encoded', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('serial', name=op.f('pk_revocation'))
    )
    op.create_table('sync_channel',
    sa.Column('neighbour_code', sa.String(length=12), nullable=False),
    sa.Column('next_out_seq', sa.Integer(), nullable=False),
    sa.Column('received_seqs', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('neighbour_code', name=op.f('pk_sync_channel'))
    )
    op.create_table('sync_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('from_office', sa.String(length=12), nullable=False),
    sa.Column('package_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflict'))
    )
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflict_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('sync_item',
    sa.Column('neighbour_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('sent_hash', sa.String(length=64), nullable=True),
    sa.Column('sent_package', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('acked_hash', sa.String(length=64), nullable=True),
    sa.Column('acked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('neighbour_code', 'kind', 'key', name=op.f('pk_sync_item'))
    )
    op.create_table('sync_package',
    sa.Column('package_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('neighbour_code', sa.String(length=12), nullable=False),
    sa.Column('channel_seq', sa.Integer(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_user', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('package_id', name=op.f('pk_sync_package'))
    )
    with op.batch_alter_table('sync_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_package_neighbour_code'), ['neighbour_code'], unique=False)

    op.create_table('user_key_wrap',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_user_key_wrap'))
    )
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.create_index('ix_declaration_status_awaiting_since', ['status', 'awaiting_since'], unique=False)

    with op.batch_alter_table('declaration_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.LargeBinary(), nullable=True))
        batch_op.create_index('ix_opinion_office_decision', ['office_code', 'decision', 'declaration_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_index('ix_opinion_office_decision')
        batch_op.drop_column('signature')
        batch_op.drop_column('signer_code')

    with op.batch_alter_table('declaration_version', schema=None) as batch_op:
        batch_op.drop_column('signature')
        batch_op.drop_column('signer_code')

    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_declaration_status_awaiting_since')

    op.drop_table('user_key_wrap')
    with op.batch_alter_table('sync_package', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_package_neighbour_code'))

    op.drop_table('sync_package')
    op.drop_table('sync_item')
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_conflict_declaration_id'))

    op.drop_table('sync_conflict')
    op.drop_table('sync_channel')
    op.drop_table('revocation')
    with op.batch_alter_table('pending_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_receipt_neighbour_code'))

    op.drop_table('pending_receipt')
    op.drop_table('office_keyring')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_region_code'))

    op.drop_table('certificate')
