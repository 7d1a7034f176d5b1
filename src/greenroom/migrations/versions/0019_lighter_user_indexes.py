"""Users: the indexes a partner's user create writes, from seven to four

`ix_users_org_env_email` served no query (`?email=` matches in any case, through
`ix_users_org_env_email_lower`). The daily cap's index and the purge's index now hold anonymous
users only (partial indexes), so creating a partner's user does not write them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 18:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _is_anonymous() -> sa.ColumnElement[bool]:
    return sa.column('anonymous').is_(True)


def _expires() -> sa.ColumnElement[bool]:
    return sa.column('expires_at').is_not(None)


def upgrade() -> None:
    op.drop_index('ix_users_org_env_email', table_name='users')
    op.drop_index('ix_users_org_anonymous_created', table_name='users')
    op.create_index(
        'ix_users_org_anonymous_created',
        'users',
        ['org_id', 'created_at'],
        sqlite_where=_is_anonymous(),
        postgresql_where=_is_anonymous(),
    )
    op.drop_index('ix_users_expires_at', table_name='users')
    op.create_index(
        'ix_users_expires_at',
        'users',
        ['expires_at'],
        sqlite_where=_expires(),
        postgresql_where=_expires(),
    )


def downgrade() -> None:
    op.drop_index('ix_users_expires_at', table_name='users')
    op.create_index('ix_users_expires_at', 'users', ['expires_at'])
    op.drop_index('ix_users_org_anonymous_created', table_name='users')
    op.create_index(
        'ix_users_org_anonymous_created', 'users', ['org_id', 'anonymous', 'created_at']
    )
    op.create_index('ix_users_org_env_email', 'users', ['org_id', 'environment', 'email'])
