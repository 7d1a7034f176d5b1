"""Spoken answers (issue 17): a recording's length and its analysis (transcript, status),
the answer time limit of question sets and interviews, and progress's recorded and spoken time

Recordings made before this revision keep no analysis (`analysis_status` NULL), as typed answers.
Plain ADD/DROP COLUMN (SQLite 3.35 and later have both), no table rebuilt.

Revision ID: 0016
Revises: 0015 (written against 0010 as 0014; renumbered when it landed after 0011, 0012, 0013 and 0015)
Create Date: 2026-11-30 13:16:19
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: dict[str, list[sa.Column[object]]] = {
    'practice_answers': [
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.Column('analysis_status', sa.String(length=16), nullable=True),
        sa.Column('analysis_error', sa.String(length=500), nullable=True),
        sa.Column('transcript', sa.JSON(), nullable=True),
        sa.Column('analysed_at', greenroom.core.db.UTCDateTime(timezone=True), nullable=True),
    ],
    'practice_interviews': [
        sa.Column('answer_seconds', sa.Integer(), server_default='120', nullable=False),
    ],
    'question_sets': [
        sa.Column('answer_seconds', sa.Integer(), server_default='120', nullable=False),
    ],
    'user_progress': [
        sa.Column('recorded_ms', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('spoken_words', sa.Integer(), server_default='0', nullable=False),
        sa.Column('spoken_ms', sa.BigInteger(), server_default='0', nullable=False),
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
