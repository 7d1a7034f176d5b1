from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin


class AuthToken(IdMixin, Base):
    """An admin's access or refresh token. Only an HMAC of the token is stored.

    Tokens issued from one log-in share a `family_id`: refreshing rotates within the family, and
    a refresh token presented twice revokes the whole family (someone else holds a copy).
    """

    __tablename__ = "auth_tokens"
    __table_args__ = (Index("ix_auth_tokens_family", "family_id"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    admin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"))
    # The key the token was issued through (for the audit trail); tokens outlive a rolled key.
    key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(8))  # "access" or "refresh"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_version: Mapped[str] = mapped_column(String(32))
    family_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column()
    # A refresh token is used once: set when it is exchanged for a new pair.
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
