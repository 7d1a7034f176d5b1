"""Spoken answers (issue 17): a recording's length and its analysis (transcript, status),
the answer time limit of question sets and interviews, and progress's recorded and spoken time

Recordings made before this revision keep no analysis (`analysis_status` NULL), as typed answers.

Revision ID: 0014
Revises: 0010 (0011 and 0012 come from other branches; re-linked on merge)
Create Date: 2026-11-30 13:16:19
"""

from collections.abc import Sequence

import sqlalchemy as sa

import greenroom.core.db
from alembic import op

revision: str = "0014"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("analysis_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("analysis_error", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("transcript", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("analysed_at", greenroom.core.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("practice_interviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answer_seconds", sa.Integer(), server_default="120", nullable=False)
        )

    with op.batch_alter_table("question_sets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answer_seconds", sa.Integer(), server_default="120", nullable=False)
        )

    with op.batch_alter_table("user_progress", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_ms", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("spoken_words", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("spoken_ms", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_progress", schema=None) as batch_op:
        batch_op.drop_column("spoken_ms")
        batch_op.drop_column("spoken_words")
        batch_op.drop_column("recorded_ms")

    with op.batch_alter_table("question_sets", schema=None) as batch_op:
        batch_op.drop_column("answer_seconds")

    with op.batch_alter_table("practice_interviews", schema=None) as batch_op:
        batch_op.drop_column("answer_seconds")

    with op.batch_alter_table("practice_answers", schema=None) as batch_op:
        batch_op.drop_column("analysed_at")
        batch_op.drop_column("transcript")
        batch_op.drop_column("analysis_error")
        batch_op.drop_column("analysis_status")
        batch_op.drop_column("duration_ms")
