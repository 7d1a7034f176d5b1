from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin

PENDING, RUNNING, READY, FAILED, EXPIRED = "pending", "running", "ready", "failed", "expired"


class UserExport(IdMixin, Base):
    """One export of a user's data, asked for through the API or the admin area.

    The ZIP file is `file_key` in the exports storage (`{data_dir}/exports`), in the user's
    folder, so erasing the user deletes it with the folder. The row goes with the user
    (ON DELETE CASCADE); an expired export's file is deleted by the sweep (`exports.expire`)
    and the row stays, `expired`, for a while."""

    __tablename__ = "user_exports"
    __table_args__ = (
        Index("ix_user_exports_user_created", "user_id", "created_at"),
        Index("ix_user_exports_state_expires", "state", "expires_at"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    # Who asked: "key:<prefix>" or "admin:<email>" (as the audit log names actors).
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # 24 hours after it became ready (before that: 24 hours after it was asked for).
    expires_at: Mapped[datetime] = mapped_column()
    ready_at: Mapped[datetime | None] = mapped_column(default=None)
    file_key: Mapped[str | None] = mapped_column(String(300), default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
