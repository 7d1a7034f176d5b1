"""Background jobs: the jobs table; CSV imports run as jobs; webhook deliveries claimed endpoint
by endpoint (fairness), with an ordering key for later use

Revision ID: 0010
Revises: 0013 (the data path's 0013 landed before this one; both were written against 0009)
Create Date: 2026-11-30 12:16:59
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0010'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    jobs = op.create_table('jobs',
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('environment', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('run_after', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=128), nullable=True),
    sa.Column('lease_expires_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('unique_key', sa.String(length=128), nullable=True),
    sa.Column('created_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_jobs_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('unique_key', name=op.f('uq_jobs_unique_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_jobs_state_lease', ['state', 'lease_expires_at'], unique=False)
        batch_op.create_index('ix_jobs_state_run_after', ['state', 'run_after'], unique=False)

    with op.batch_alter_table('admin_import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_admin_import_jobs_job_id_jobs'), 'jobs', ['job_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('run_token')
        batch_op.drop_column('heartbeat_at')

    # Imports left unfinished by the old runner become jobs, due now: they resume from
    # `processed` once a server or `greenroom worker` of this version runs.
    imports = sa.table(
        'admin_import_jobs',
        sa.column('id', sa.Uuid()),
        sa.column('org_id', sa.Uuid()),
        sa.column('environment', sa.String()),
        sa.column('status', sa.String()),
        sa.column('job_id', sa.Uuid()),
    )
    bind = op.get_bind()
    unfinished = bind.execute(
        sa.select(imports.c.id, imports.c.org_id, imports.c.environment).where(
            imports.c.status.in_(('queued', 'running'))
        )
    ).all()
    now = datetime.now(UTC)
    for import_id, org_id, environment in unfinished:
        job_id = uuid.uuid4()
        bind.execute(jobs.insert().values(
            id=job_id, kind='users.import', payload={'import_id': str(import_id)},
            org_id=org_id, environment=environment, state='queued', run_after=now, attempts=0,
            max_attempts=5, created_at=now, updated_at=now,
        ))
        bind.execute(imports.update().where(imports.c.id == import_id).values(job_id=job_id))

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ordering_key', sa.String(length=128), nullable=True))
        batch_op.drop_index('ix_webhook_deliveries_due')
        batch_op.create_index('ix_webhook_deliveries_endpoint_due', ['endpoint_id', 'status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_endpoint_leased', ['endpoint_id', 'locked_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_endpoint_leased')
        batch_op.drop_index('ix_webhook_deliveries_endpoint_due')
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_column('ordering_key')

    with op.batch_alter_table('admin_import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('run_token', sa.Uuid(), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_admin_import_jobs_job_id_jobs'), type_='foreignkey')
        batch_op.drop_column('job_id')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_run_after')
        batch_op.drop_index('ix_jobs_state_lease')
        batch_op.drop_index(batch_op.f('ix_jobs_org_id'))

    op.drop_table('jobs')
