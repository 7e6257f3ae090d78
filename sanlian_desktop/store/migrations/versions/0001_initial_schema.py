"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment'))
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    op.create_table('batch',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('opens', sa.Date(), nullable=False),
    sa.Column('closes', sa.Date(), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=True),
    sa.Column('quota_projects', sa.Integer(), nullable=True),
    sa.Column('quota_communities', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch')),
    sa.UniqueConstraint('code', name=op.f('uq_batch_code'))
    )
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_meta'))
    )
    op.create_table('region',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('special', sa.Boolean(), nullable=False),
    sa.Column('rural', sa.Boolean(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('pinyin', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], name=op.f('fk_region_parent_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_parent_code'), ['parent_code'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('declaration',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('county_code', sa.String(length=12), nullable=False),
    sa.Column('city_code', sa.String(length=12), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('awaiting_level', sa.String(length=16), nullable=True),
    sa.Column('awaiting_office', sa.String(length=12), nullable=True),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('entered_by_office', sa.String(length=12), nullable=False),
    sa.Column('from_paper', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_pinyin', sa.String(length=200), nullable=False),
    sa.Column('focus_areas', sa.String(length=300), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('requested_fen', sa.Integer(), nullable=False),
    sa.Column('granted_fen', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('awaiting_since', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_declaration_batch_id_batch')),
    sa.ForeignKeyConstraint(['community_code'], ['region.code'], name=op.f('fk_declaration_community_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration'))
    )
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_awaiting_office'), ['awaiting_office'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_city_code'), ['city_code'], unique=False)
        batch_op.create_index('ix_declaration_community_batch', ['community_code', 'batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_status'), ['status'], unique=False)
        batch_op.create_index('ix_declaration_status_updated', ['status', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_street_code'), ['street_code'], unique=False)

    op.create_table('office',
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_self', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_office_region_code_region')),
    sa.PrimaryKeyConstraint('region_code', name=op.f('pk_office'))
    )
    op.create_table('declaration_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_declaration_attachment_declaration_id_declaration')),
    sa.ForeignKeyConstraint(['sha256'], ['attachment.sha256'], name=op.f('fk_declaration_attachment_sha256_attachment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_attachment'))
    )
    with op.batch_alter_table('declaration_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_attachment_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('declaration_version',
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_declaration_version_declaration_id_declaration')),
    sa.PrimaryKeyConstraint('declaration_id', 'version', name=op.f('pk_declaration_version'))
    )
    op.create_table('opinion',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('office_code', sa.String(length=12), nullable=False),
    sa.Column('office_name', sa.String(length=100), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=False),
    sa.Column('reviewer_name', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('granted_fen', sa.Integer(), nullable=True),
    sa.Column('from_paper', sa.Boolean(), nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_opinion_declaration_id_declaration')),
    sa.ForeignKeyConstraint(['scan_sha256'], ['attachment.sha256'], name=op.f('fk_opinion_scan_sha256_attachment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion')),
    sa.UniqueConstraint('declaration_id', 'seq', name='uq_opinion_decl_seq')
    )
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opinion_declaration_id'), ['declaration_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opinion_declaration_id'))

    op.drop_table('opinion')
    op.drop_table('declaration_version')
    with op.batch_alter_table('declaration_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_attachment_declaration_id'))

    op.drop_table('declaration_attachment')
    op.drop_table('office')
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_street_code'))
        batch_op.drop_index('ix_declaration_status_updated')
        batch_op.drop_index(batch_op.f('ix_declaration_status'))
        batch_op.drop_index(batch_op.f('ix_declaration_number'))
        batch_op.drop_index(batch_op.f('ix_declaration_county_code'))
        batch_op.drop_index(batch_op.f('ix_declaration_community_code'))
        batch_op.drop_index('ix_declaration_community_batch')
        batch_op.drop_index(batch_op.f('ix_declaration_city_code'))
        batch_op.drop_index(batch_op.f('ix_declaration_batch_id'))
        batch_op.drop_index(batch_op.f('ix_declaration_awaiting_office'))

    op.drop_table('declaration')
    op.drop_table('user_account')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_parent_code'))
        batch_op.drop_index(batch_op.f('ix_region_level'))

    op.drop_table('region')
    op.drop_table('meta')
    op.drop_table('batch')
    op.drop_table('audit_log')
    op.drop_table('attachment')
