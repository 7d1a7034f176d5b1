"""Webhooks: an endpoint's payload format, the org's verification key, order per user

`webhook_endpoints.format` ("standard" for every existing endpoint), the verification keys of
the Big Interview format (one per org and environment), and each delivery's place in its
(endpoint, ordering_key) queue. Deliveries queued before this have no place and no order.

Revision ID: 0015
Revises: 0012 (the admin area's 0012 landed first; this one was written against 0011)
Create Date: 2026-11-30 13:36:31
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0015'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_verification_keys',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('environment', sa.String(length=16), nullable=False),
    sa.Column('key_ciphertext', sa.String(length=255), nullable=False),
    sa.Column('key_version', sa.String(length=32), nullable=False),
    sa.Column('hint', sa.String(length=8), nullable=False),
    sa.Column('created_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_webhook_verification_keys_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'environment', name=op.f('pk_webhook_verification_keys'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ordering_seq', sa.Integer(), nullable=True))
        batch_op.create_index('ix_webhook_deliveries_queue', ['endpoint_id', 'ordering_key', 'status', 'ordering_seq'], unique=False)

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.String(length=16), server_default='standard', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('format')

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_queue')
        batch_op.drop_column('ordering_seq')

    op.drop_table('webhook_verification_keys')
