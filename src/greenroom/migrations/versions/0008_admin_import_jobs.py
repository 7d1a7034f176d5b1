"""Admin area: CSV import jobs of users (progress polled by the page)

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-23 12:44:04.506009
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0008'
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('admin_import_jobs',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('rows', sa.Text(), nullable=False),
    sa.Column('created_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_admin_import_jobs_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_import_jobs'))
    )
    with op.batch_alter_table('admin_import_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_admin_import_jobs_org_created', ['org_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('admin_import_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_import_jobs_org_created')

    op.drop_table('admin_import_jobs')
