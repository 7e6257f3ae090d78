"""withdrawals of evaluation assignments

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluation_withdrawal',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('evaluator_code', sa.String(length=12), nullable=False),
    sa.Column('evaluator_name', sa.String(length=100), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('travels', sa.Boolean(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_withdrawal'))
    )
    with op.batch_alter_table('evaluation_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_withdrawal_declaration_id'), ['declaration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_withdrawal_evaluator_code'), ['evaluator_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evaluation_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_withdrawal_evaluator_code'))
        batch_op.drop_index(batch_op.f('ix_evaluation_withdrawal_declaration_id'))
    op.drop_table('evaluation_withdrawal')
