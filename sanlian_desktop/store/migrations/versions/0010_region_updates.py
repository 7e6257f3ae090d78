"""region updates from the province; retired regions

The official region tree is read from package data (offices/regiondata.py), not copied into the store:
a store keeps the regions it has, whose names win, and the official tree fills the gaps when they are
used. So this migration moves no region rows; it adds what region updates need.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('region_update',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('applied', sa.JSON(), nullable=False),
    sa.Column('received_from', sa.String(length=12), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region_update'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_column('retired')
    op.drop_table('region_update')
