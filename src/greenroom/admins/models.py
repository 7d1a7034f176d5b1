from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core.db import Base, IdMixin, TimestampMixin


class AdminRole(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"


class Admin(IdMixin, TimestampMixin, Base):
    __tablename__ = "admins"
    __table_args__ = (UniqueConstraint("org_id", "email", name="uq_admins_org_email"),)

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default=AdminRole.ADMIN.value)
    password_hash: Mapped[str] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
