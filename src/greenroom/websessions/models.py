from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin


class WebSession(IdMixin, Base):
    """A browser session of a member (practice app) or an admin (admin area), server-side.

    The cookie holds a random token; only its HMAC is stored. A session belongs to one org and
    environment and is refused on any other host.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # "member" or "admin"
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)  # users.id or admins.id
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column()  # the absolute limit
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
