"""registry records carry their owner's version: a counter on organisations, workers and facts (and the
facts' owner), so that a copy is applied by its version, never by its arrival

Rows kept before get version 0 (and facts no owner): their records travel exactly as before, and the
first change the owning office makes gives them version 1.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_TABLES = ('community_organisation', 'social_worker', 'community_facts', 'area_facts')
_FACTS = ('community_facts', 'area_facts')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in _FACTS:
                batch_op.add_column(sa.Column('owner_code', sa.String(length=12), nullable=True))
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
            if table in _FACTS:
                batch_op.drop_column('owner_code')
