"""project implementation: tender, undertaking, workers, disbursements, progress

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('project_disbursement',
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('tranche', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_project_disbursement_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_disbursement'))
    )
    with op.batch_alter_table('project_disbursement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_disbursement_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('project_progress',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('activities', sa.Text(), nullable=False),
    sa.Column('beneficiaries', sa.Integer(), nullable=False),
    sa.Column('spent_fen', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_project_progress_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_progress'))
    )
    with op.batch_alter_table('project_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_progress_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('project_tender',
    sa.Column('tendered_on', sa.Date(), nullable=False),
    sa.Column('bidders', sa.JSON(), nullable=False),
    sa.Column('winner', sa.String(length=100), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_project_tender_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_tender'))
    )
    with op.batch_alter_table('project_tender', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_tender_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('project_undertaking',
    sa.Column('org_name', sa.String(length=100), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('over_grant_reason', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_project_undertaking_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_undertaking'))
    )
    with op.batch_alter_table('project_undertaking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_undertaking_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('project_worker',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('certificate_level', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signer_code', sa.String(length=12), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_project_worker_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_worker'))
    )
    with op.batch_alter_table('project_worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_worker_declaration_id'), ['declaration_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('project_worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_worker_declaration_id'))

    op.drop_table('project_worker')
    with op.batch_alter_table('project_undertaking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_undertaking_declaration_id'))

    op.drop_table('project_undertaking')
    with op.batch_alter_table('project_tender', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_tender_declaration_id'))

    op.drop_table('project_tender')
    with op.batch_alter_table('project_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_progress_declaration_id'))

    op.drop_table('project_progress')
    with op.batch_alter_table('project_disbursement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_disbursement_declaration_id'))

    op.drop_table('project_disbursement')
