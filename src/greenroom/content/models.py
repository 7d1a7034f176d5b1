from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin, TimestampMixin


class QuestionSetRow(IdMixin, TimestampMixin, Base):
    """A question set stored in the database: an org's own (org_id set).

    The default pack's sets live in files (content/loader.py); `org_id` is nullable so that
    deployment-wide sets added by an operator can live here too later.
    """

    __tablename__ = "question_sets"
    __table_args__ = (UniqueConstraint("org_id", "slug", name="uq_question_sets_org_slug"),)

    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), default=None, index=True
    )
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    interviewer_name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # [{"prompt": str, "tips": [str, ...]}, ...]
    questions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The time limit for each spoken answer, in seconds (the interview's timer).
    answer_seconds: Mapped[int] = mapped_column(default=120, server_default="120")


class QuestionCategory(IdMixin, Base):
    """A category an org added to the built-in ones (`loader.CATEGORIES`) for its own sets."""

    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_question_categories_org_name"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class HiddenQuestionSet(Base):
    """A default pack set the org does not offer to its users (shown again by deleting the row)."""

    __tablename__ = "question_sets_hidden"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    hidden_at: Mapped[datetime] = mapped_column(default=clock.now)
