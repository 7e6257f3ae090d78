"""progress reports (进展情况) issued by offices and carried up

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('progress_report',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('office_name', sa.String(length=100), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('supersedes', sa.String(length=32), nullable=True),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('received_from', sa.String(length=12), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_report'))
    )
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_report_office_code'), ['office_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_report_office_code'))
    op.drop_table('progress_report')
