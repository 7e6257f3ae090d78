"""registries travel: a stable uid, the owning office and a tombstone on organisations and workers;
the pilot-area flag on area facts

Revision ID: 0008
Revises: 0007
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_TABLES = ('community_organisation', 'social_worker')


def upgrade() -> None:
    conn = op.get_bind()
    office = conn.execute(sa.text("SELECT region_code FROM office WHERE is_self = :yes"), {"yes": True}).scalar()
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
            batch_op.add_column(sa.Column('office_code', sa.String(length=12), nullable=True))
            batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        # Rows entered before registries travelled belong to this office and get their identity now.
        ids = [row[0] for row in conn.execute(sa.text(f"SELECT id FROM {table}"))]
        for row_id in ids:
            conn.execute(sa.text(f"UPDATE {table} SET uid = :uid, office_code = :office WHERE id = :id"),
                         {"uid": str(uuid.uuid4()), "office": office or "", "id": row_id})
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
            batch_op.alter_column('office_code', existing_type=sa.String(length=12), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_uid'), ['uid'])
    with op.batch_alter_table('area_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pilot', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('area_facts', schema=None) as batch_op:
        batch_op.drop_column('pilot')
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_uid'), type_='unique')
            batch_op.drop_column('deleted_at')
            batch_op.drop_column('office_code')
            batch_op.drop_column('uid')
