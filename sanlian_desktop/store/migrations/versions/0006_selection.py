"""selection: scoring sheets and scores, shortlist, public notices

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_notice',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts', sa.Date(), nullable=False),
    sa.Column('ends', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_public_notice_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_notice')),
    sa.UniqueConstraint('batch_id', 'seq', name='uq_public_notice_batch_seq')
    )
    with op.batch_alter_table('public_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_notice_batch_id'), ['batch_id'], unique=False)

    op.create_table('scoring_criterion',
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('max_points', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_scoring_criterion_batch_id_batch')),
    sa.PrimaryKeyConstraint('batch_id', 'position', name=op.f('pk_scoring_criterion')),
    sa.UniqueConstraint('batch_id', 'name', name='uq_scoring_criterion_batch_name')
    )
    op.create_table('expert_score',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('scorer', sa.String(length=64), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_expert_score_batch_id_batch')),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_expert_score_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_score')),
    sa.UniqueConstraint('declaration_id', 'scorer', name='uq_expert_score_decl_scorer')
    )
    with op.batch_alter_table('expert_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_score_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_score_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('shortlisting',
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('planned_fen', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_shortlisting_batch_id_batch')),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_shortlisting_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('declaration_id', name=op.f('pk_shortlisting'))
    )
    with op.batch_alter_table('shortlisting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlisting_batch_id'), ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shortlisting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlisting_batch_id'))

    op.drop_table('shortlisting')
    with op.batch_alter_table('expert_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_score_declaration_id'))
        batch_op.drop_index(batch_op.f('ix_expert_score_batch_id'))

    op.drop_table('expert_score')
    op.drop_table('scoring_criterion')
    with op.batch_alter_table('public_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_notice_batch_id'))

    op.drop_table('public_notice')
