"""Retention of recordings (issue 20): the org's setting, and on each answer when its recording
(and perhaps its transcript) was removed

Plain ADD/DROP COLUMN, no table rebuilt. Every org starts with retention off (NULL).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: dict[str, list[sa.Column[object]]] = {
    'organizations': [
        sa.Column('recording_retention_days', sa.Integer(), nullable=True),
        sa.Column(
            'retention_includes_transcripts', sa.Boolean(), server_default=sa.false(),
            nullable=False,
        ),
    ],
    'practice_answers': [
        sa.Column('media_removed_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('removed_after_days', sa.Integer(), nullable=True),
        sa.Column(
            'transcript_removed_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True
        ),
    ],
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, column)


def downgrade() -> None:
    for table, columns in reversed(_COLUMNS.items()):
        for column in reversed(columns):
            op.drop_column(table, column.name)
