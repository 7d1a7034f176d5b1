from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core.db import Base, IdMixin, TimestampMixin


class AdminRole(StrEnum):
    """`admin` may do everything; `viewer` sees every page and changes nothing; `coach` reads
    users, plays their recordings and comments on answers, and never sees keys, webhooks, admins
    or the audit log (docs/admin-area.md, Roles)."""

    ADMIN = "admin"
    VIEWER = "viewer"
    COACH = "coach"


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
    # Set with a one-time password (a new admin, a reset): the next log-in must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False)
