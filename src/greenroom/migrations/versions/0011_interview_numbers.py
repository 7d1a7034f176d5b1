"""Practice interviews get an integer public id, unique per org (Big Interview's `id`)

Existing interviews are numbered 1, 2, 3, ... per org in the order they were created, and each
org's counter starts after its last number.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:22:11
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('practice_interview_counters',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_practice_interview_counters_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_practice_interview_counters'))
    )
    with op.batch_alter_table('practice_interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
    op.execute(
        "UPDATE practice_interviews SET number = numbered.n FROM ("
        " SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY created_at, id) AS n"
        " FROM practice_interviews) AS numbered"
        " WHERE numbered.id = practice_interviews.id"
    )
    op.execute(
        "INSERT INTO practice_interview_counters (org_id, last_number)"
        " SELECT org_id, MAX(number) FROM practice_interviews GROUP BY org_id"
    )
    with op.batch_alter_table('practice_interviews', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_practice_interviews_org_number', ['org_id', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('practice_interviews', schema=None) as batch_op:
        batch_op.drop_constraint('uq_practice_interviews_org_number', type_='unique')
        batch_op.drop_column('number')

    op.drop_table('practice_interview_counters')
