from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, false
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core.db import Base, IdMixin, TimestampMixin


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    anonymous_users_enabled: Mapped[bool] = mapped_column(default=False)
    # Where users go after log-out or a failed sign-in, and which other origins a partner may
    # name as `return_url` at sign-in.
    sso_return_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    sso_allowed_return_origins: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sso_token_ttl_seconds: Mapped[int] = mapped_column(default=48 * 3600)
    # None means the deployment's default (settings).
    rate_limit_per_minute: Mapped[int | None] = mapped_column(default=None)
    key_rate_limit_per_minute: Mapped[int | None] = mapped_column(default=None)
    anonymous_daily_cap: Mapped[int | None] = mapped_column(default=None)
    # Retention of students' recordings (practice/retention.py): None keeps them; N removes a
    # recording N days after its answer (1 to 3650), and its transcript too when
    # `retention_includes_transcripts`. The answer's feedback figures stay.
    recording_retention_days: Mapped[int | None] = mapped_column(default=None)
    retention_includes_transcripts: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
