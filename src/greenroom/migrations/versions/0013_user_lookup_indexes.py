"""Users: indexes for the email filter (any case) and the anonymous daily cap

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-30 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0013'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_users_org_anonymous_created', 'users', ['org_id', 'anonymous', 'created_at']
    )
    op.create_index(
        'ix_users_org_env_email_lower',
        'users',
        ['org_id', 'environment', sa.text('lower(email)')],
    )


def downgrade() -> None:
    op.drop_index('ix_users_org_env_email_lower', table_name='users')
    op.drop_index('ix_users_org_anonymous_created', table_name='users')
