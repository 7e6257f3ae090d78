"""near-duplicate screening: each declaration's MinHash sketch, the similar pairs found, and reviewers'
clearances of pairs ("已核实，不是抄袭")

Sketches and pairs are derived from the declarations' content; a store upgraded to this revision computes them
the first time screening runs (on the next save, import or listing).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'similarity_sketch',
        sa.Column('declaration_id', sa.String(length=36), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.LargeBinary(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'],
                                name=op.f('fk_similarity_sketch_declaration_id_declaration')),
        sa.PrimaryKeyConstraint('declaration_id', name=op.f('pk_similarity_sketch')),
    )
    op.create_table(
        'similar_pair',
        sa.Column('low_id', sa.String(length=36), nullable=False),
        sa.Column('high_id', sa.String(length=36), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['low_id'], ['declaration.id'], name=op.f('fk_similar_pair_low_id_declaration')),
        sa.ForeignKeyConstraint(['high_id'], ['declaration.id'], name=op.f('fk_similar_pair_high_id_declaration')),
        sa.PrimaryKeyConstraint('low_id', 'high_id', name=op.f('pk_similar_pair')),
    )
    with op.batch_alter_table('similar_pair', schema=None) as batch_op:
        batch_op.create_index('ix_similar_pair_high', ['high_id'], unique=False)
    op.create_table(
        'similarity_clearance',
        sa.Column('low_id', sa.String(length=36), nullable=False),
        sa.Column('high_id', sa.String(length=36), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('office_code', sa.String(length=12), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['low_id'], ['declaration.id'],
                                name=op.f('fk_similarity_clearance_low_id_declaration')),
        sa.ForeignKeyConstraint(['high_id'], ['declaration.id'],
                                name=op.f('fk_similarity_clearance_high_id_declaration')),
        sa.PrimaryKeyConstraint('low_id', 'high_id', name=op.f('pk_similarity_clearance')),
    )


def downgrade() -> None:
    op.drop_table('similarity_clearance')
    with op.batch_alter_table('similar_pair', schema=None) as batch_op:
        batch_op.drop_index('ix_similar_pair_high')
    op.drop_table('similar_pair')
    op.drop_table('similarity_sketch')
