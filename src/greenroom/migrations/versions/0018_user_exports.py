"""User exports (issue 20, Export): one row per export of a user's data, its ZIP on disk

Revision ID: 0018
Revises: 0017 (written against 0016; the retention revision 0017 landed first)
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_exports',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ready_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('file_key', sa.String(length=300), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_user_exports_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_exports'))
    )
    with op.batch_alter_table('user_exports', schema=None) as batch_op:
        batch_op.create_index('ix_user_exports_state_expires', ['state', 'expires_at'], unique=False)
        batch_op.create_index('ix_user_exports_user_created', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_exports', schema=None) as batch_op:
        batch_op.drop_index('ix_user_exports_user_created')
        batch_op.drop_index('ix_user_exports_state_expires')
    op.drop_table('user_exports')
