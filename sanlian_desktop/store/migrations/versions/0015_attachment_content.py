"""attachments' content in the database, for a store on a PostgreSQL server: every workstation of the
office opens the same files (a SQLite store keeps its files in the home folder and leaves the table empty)

Attachments stored on a server before this revision stay in the folder of the workstation that stored
them until they are stored again there (the same file attached again is uploaded).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachment_content',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('part', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['attachment.sha256'],
                                name=op.f('fk_attachment_content_sha256_attachment')),
        sa.PrimaryKeyConstraint('sha256', 'part', name=op.f('pk_attachment_content')),
    )


def downgrade() -> None:
    op.drop_table('attachment_content')
