from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    """A partner's user, identified by the partner's own `partner_id` within an org environment."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("org_id", "environment", "partner_id", name="uq_users_org_env_partner"),
        Index("ix_users_org_env_updated", "org_id", "environment", "updated_at", "id"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    first_name: Mapped[str | None] = mapped_column(String(200), default=None)
    last_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # `metadata` is taken by SQLAlchemy's declarative base, hence the attribute name.
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, default=None)
    anonymous: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)


class SsoToken(IdMixin, Base):
    """A one-time sign-in token (docs/partner-api.md, Single sign-on): 64 hex characters, stored
    as an HMAC only."""

    __tablename__ = "sso_tokens"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_version: Mapped[str] = mapped_column(String(32))
    # A path on the org's host, checked when the token was made (POST /api/users/{id}/sso).
    redirect_to: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


# `GET /api/users?email=` matches in any case.
Index("ix_users_org_env_email_lower", User.org_id, User.environment, func.lower(User.email))
# Two indexes of anonymous users only, so that creating a partner's user does not write them
# (each index a create writes is a page in its commit): the anonymous users an org created since
# a moment (its daily cap), and those past their 24 hours (the purge).
_ANONYMOUS = User.anonymous.is_(True)
Index(
    "ix_users_org_anonymous_created",
    User.org_id,
    User.created_at,
    sqlite_where=_ANONYMOUS,
    postgresql_where=_ANONYMOUS,
)
_EXPIRES = User.expires_at.is_not(None)
Index("ix_users_expires_at", User.expires_at, sqlite_where=_EXPIRES, postgresql_where=_EXPIRES)
