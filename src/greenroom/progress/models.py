from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base


class UserProgress(Base):
    """One row per user with activity, updated in the transaction of every activity.

    Reading progress is one row: nothing is recomputed from answers. Lessons are kept as the
    list of completed lesson keys ("module/lesson") and counted against the current content pack
    when read, so totals stay exact when the pack gains or loses lessons.
    """

    __tablename__ = "user_progress"
    __table_args__ = (
        Index("ix_user_progress_org_env_updated", "org_id", "environment", "updated_at", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    lessons_completed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    interviews_started: Mapped[int] = mapped_column(default=0)
    interviews_completed: Mapped[int] = mapped_column(default=0)
    answers_recorded: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    # Recorded answers: their length (minutes_practised), and of those analysed with a measured
    # pace, the words and the seconds from first word to last (average_words_per_minute).
    # Milliseconds as integers, so that removing an answer takes away exactly what it added.
    recorded_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    spoken_words: Mapped[int] = mapped_column(default=0, server_default="0")
    spoken_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
