from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin, TimestampMixin


class Interview(IdMixin, TimestampMixin, Base):
    """One practice interview. The questions are copied in when it starts, so an interview reads
    the same later even when its question set changes or goes away."""

    __tablename__ = "practice_interviews"
    __table_args__ = (
        Index("ix_practice_interviews_user_updated", "user_id", "updated_at", "id"),
        UniqueConstraint("org_id", "number", name="uq_practice_interviews_org_number"),
        # The admin dashboard's "most used question sets" in a period, per org and environment
        # (covering: the count never reads the table).
        Index(
            "ix_practice_interviews_org_env_created",
            "org_id",
            "environment",
            "created_at",
            "set_slug",
            "user_id",
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # The public id (the Partner API's `id`, an integer as Big Interview's): 1, 2, 3, ... per org,
    # from `InterviewCounter`, never reused. The UUID `id` stays the key inside.
    number: Mapped[int] = mapped_column()
    environment: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    set_slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    interviewer_name: Mapped[str] = mapped_column(String(100))
    questions: Mapped[list[Any]] = mapped_column(JSON)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The answer time limit of the question set when the interview started (seconds).
    answer_seconds: Mapped[int] = mapped_column(default=120, server_default="120")


class Answer(IdMixin, Base):
    """The answer to one question of an interview: text, or a recording/upload in storage."""

    __tablename__ = "practice_answers"
    __table_args__ = (
        UniqueConstraint("interview_id", "question_index", name="uq_practice_answers_question"),
    )

    interview_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practice_interviews.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    question_index: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # "text" or "recording"
    text: Mapped[str | None] = mapped_column(Text, default=None)
    media_key: Mapped[str | None] = mapped_column(String(300), default=None)
    media_type: Mapped[str | None] = mapped_column(String(100), default=None)
    rating: Mapped[int | None] = mapped_column(default=None)
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Recordings: the length of the (remuxed) file in milliseconds, and the analysis of the spoken answer
    # (the `transcription` job: practice/transcription.py). `analysis_status` is None for typed
    # answers, else ANALYSIS_PENDING -> ANALYSIS_DONE or ANALYSIS_FAILED (`analysis_error` then
    # says why, for the student). `transcript` is `speech.engines.Transcript.to_dict()`.
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    analysis_status: Mapped[str | None] = mapped_column(String(16), default=None)
    analysis_error: Mapped[str | None] = mapped_column(String(500), default=None)
    transcript: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    analysed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Retention (practice/retention.py): when the recording was removed (`media_key` is then
    # None) and after how many days; when the transcript was removed, if the org chose that.
    # The feedback figures and `duration_ms` stay.
    media_removed_at: Mapped[datetime | None] = mapped_column(default=None)
    removed_after_days: Mapped[int | None] = mapped_column(default=None)
    transcript_removed_at: Mapped[datetime | None] = mapped_column(default=None)


ANALYSIS_PENDING, ANALYSIS_DONE, ANALYSIS_FAILED = "pending", "done", "failed"


class InterviewCounter(Base):
    """The last interview number handed out in an org (`Interview.number`)."""

    __tablename__ = "practice_interview_counters"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column()


class AnswerComment(IdMixin, Base):
    """A coach's (or admin's) comment on an answer, shown to the student on the review page.

    The author is named as written then (`author_name`), and `author_admin_id` is not a foreign
    key: the comment stays when the admin is removed. It goes with the answer, the interview or
    the user (ON DELETE CASCADE)."""

    __tablename__ = "practice_answer_comments"
    __table_args__ = (Index("ix_practice_answer_comments_interview", "interview_id", "created_at"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    interview_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practice_interviews.id", ondelete="CASCADE")
    )
    answer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practice_answers.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    author_admin_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
