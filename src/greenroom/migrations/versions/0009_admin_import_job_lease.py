"""Admin area: a lease on running import jobs, so that an abandoned one is resumed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('admin_import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_token', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('admin_import_jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('run_token')
