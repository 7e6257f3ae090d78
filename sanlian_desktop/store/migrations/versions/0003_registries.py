"""registries: community social organisations, social workers, community and area facts

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('area_facts',
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('has_association', sa.Boolean(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_area_facts_region_code_region')),
    sa.PrimaryKeyConstraint('region_code', name=op.f('pk_area_facts'))
    )
    op.create_table('community_facts',
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('has_workroom', sa.Boolean(), nullable=True),
    sa.Column('in_federation', sa.Boolean(), nullable=True),
    sa.Column('registered_volunteers', sa.Integer(), nullable=True),
    sa.Column('election', sa.String(length=16), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['community_code'], ['region.code'], name=op.f('fk_community_facts_community_code_region')),
    sa.PrimaryKeyConstraint('community_code', name=op.f('pk_community_facts'))
    )
    op.create_table('community_organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('record_number', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('has_social_workers', sa.Boolean(), nullable=False),
    sa.Column('hosts_agency', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_code'], ['region.code'], name=op.f('fk_community_organisation_community_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_organisation'))
    )
    with op.batch_alter_table('community_organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_organisation_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_organisation_credit_code'), ['credit_code'], unique=False)

    op.create_table('social_worker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('certificate_level', sa.String(length=16), nullable=True),
    sa.Column('certificate_number', sa.String(length=40), nullable=False),
    sa.Column('employer', sa.String(length=100), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_code'], ['region.code'], name=op.f('fk_social_worker_community_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_worker'))
    )
    with op.batch_alter_table('social_worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_worker_community_code'), ['community_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('social_worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_worker_community_code'))

    op.drop_table('social_worker')
    with op.batch_alter_table('community_organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_organisation_credit_code'))
        batch_op.drop_index(batch_op.f('ix_community_organisation_community_code'))

    op.drop_table('community_organisation')
    op.drop_table('community_facts')
    op.drop_table('area_facts')
