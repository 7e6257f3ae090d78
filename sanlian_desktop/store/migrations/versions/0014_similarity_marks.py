"""reviewers' "已核实，不是抄袭" marks travel upward: each mark gets an id, the communities of its two
declarations, and the signature of the office that made it (issue 19)

The marks kept in ``similarity_clearance`` move to ``similarity_mark`` unsigned; their office signs them at
its next export. The declarations are no longer foreign keys: a mark received before a declaration it names
is kept until the declaration arrives.

Revision ID: 0014
Revises: 0013
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    mark = op.create_table(
        'similarity_mark',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('low_id', sa.String(length=36), nullable=False),
        sa.Column('high_id', sa.String(length=36), nullable=False),
        sa.Column('low_community', sa.String(length=12), nullable=False),
        sa.Column('high_community', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('office_code', sa.String(length=12), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('signer_code', sa.String(length=12), nullable=True),
        sa.Column('signature', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_similarity_mark')),
    )
    with op.batch_alter_table('similarity_mark', schema=None) as batch_op:
        batch_op.create_index('ix_similarity_mark_pair', ['low_id', 'high_id'], unique=False)
    rows = op.get_bind().execute(sa.text(
        "SELECT c.low_id, c.high_id, lo.community_code, hi.community_code, c.reason, c.office_code, c.\"by\", c.at "
        "FROM similarity_clearance c JOIN declaration lo ON lo.id = c.low_id JOIN declaration hi ON hi.id = c.high_id"
    ).columns(at=sa.DateTime())).all()
    if rows:
        op.bulk_insert(mark, [
            {"id": str(uuid.uuid4()), "low_id": low, "high_id": high, "low_community": low_c, "high_community": high_c,
             "reason": reason, "office_code": office, "by": by, "at": at}
            for low, high, low_c, high_c, reason, office, by, at in rows])
    op.drop_table('similarity_clearance')


def downgrade() -> None:
    old = op.create_table(
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
    kept: dict[tuple[str, str], dict[str, object]] = {}  # one mark per pair, the earliest, where both are held
    for low, high, reason, office, by, at in op.get_bind().execute(sa.text(
        "SELECT m.low_id, m.high_id, m.reason, m.office_code, m.\"by\", m.at FROM similarity_mark m "
        "JOIN declaration lo ON lo.id = m.low_id JOIN declaration hi ON hi.id = m.high_id ORDER BY m.at DESC"
    ).columns(at=sa.DateTime())).all():
        kept[(low, high)] = {"low_id": low, "high_id": high, "reason": reason, "office_code": office, "by": by, "at": at}
    if kept:
        op.bulk_insert(old, list(kept.values()))
    op.drop_table('similarity_mark')
