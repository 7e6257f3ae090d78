"""batches and registry records carry their maker's signature: the province's statement of a batch, the
owning office's statement of an organisation, a social worker or facts (issue 20: authority, not just signatures)

Rows kept before have no signature (NULL): the province and the owning offices sign their own rows at
their next export, and every other office adopts the signature when the signed copy arrives.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_TABLES = ('batch', 'community_organisation', 'social_worker', 'community_facts', 'area_facts')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('signer_code', sa.String(length=12), nullable=True))
            batch_op.add_column(sa.Column('signature', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('signature')
            batch_op.drop_column('signer_code')
