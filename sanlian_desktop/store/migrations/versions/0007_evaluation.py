"""third-party evaluation: assignments, follow-up visits, effect evaluations; office codes of evaluators

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluation_assignment',
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('evaluator_code', sa.String(length=12), nullable=False),
    sa.Column('evaluator_name', sa.String(length=100), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'],
                            name=op.f('fk_evaluation_assignment_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('declaration_id', name=op.f('pk_evaluation_assignment'))
    )
    with op.batch_alter_table('evaluation_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_assignment_evaluator_code'), ['evaluator_code'], unique=False)

    op.create_table('followup_visit',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('evaluator_code', sa.String(length=12), nullable=False),
    sa.Column('evaluator_name', sa.String(length=100), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'],
                            name=op.f('fk_followup_visit_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_visit'))
    )
    with op.batch_alter_table('followup_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_visit_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('effect_evaluation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('evaluator_code', sa.String(length=12), nullable=False),
    sa.Column('evaluator_name', sa.String(length=100), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=2), nullable=False),
    sa.Column('grade_reason', sa.Text(), nullable=False),
    sa.Column('report_sha256', sa.String(length=64), nullable=False),
    sa.Column('report_name', sa.String(length=255), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'],
                            name=op.f('fk_effect_evaluation_declaration_id_declaration')),
    sa.ForeignKeyConstraint(['report_sha256'], ['attachment.sha256'],
                            name=op.f('fk_effect_evaluation_report_sha256_attachment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_effect_evaluation'))
    )
    with op.batch_alter_table('effect_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_effect_evaluation_declaration_id'), ['declaration_id'], unique=False)

    # An evaluator office's code (620000E001) names no region: the office table keeps no foreign key.
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_office_region_code_region'), type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_office_region_code_region'), 'region', ['region_code'], ['code'])
    with op.batch_alter_table('effect_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_effect_evaluation_declaration_id'))
    op.drop_table('effect_evaluation')
    with op.batch_alter_table('followup_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_visit_declaration_id'))
    op.drop_table('followup_visit')
    with op.batch_alter_table('evaluation_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_assignment_evaluator_code'))
    op.drop_table('evaluation_assignment')
