from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin


class ApiKey(IdMixin, Base):
    """An org API key. Only an HMAC of the key is stored (under `secret_version`), plus its last 4."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_org_env", "org_id", "environment"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_version: Mapped[str] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    # "cli", or the email of the admin who made it (kept if the admin is later removed).
    created_by: Mapped[str] = mapped_column(String(320))
    created_by_admin_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("admins.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set on the old key when it is rolled: the key that replaced it.
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), default=None
    )


class _Validity(Protocol):
    @property
    def revoked_at(self) -> datetime | None: ...

    @property
    def expires_at(self) -> datetime | None: ...


def is_usable(key: _Validity, now: datetime) -> bool:
    """The one rule of whether a key (a row, or the cache's copy of one) still authenticates:
    not revoked by `now`, and not expired."""
    if key.revoked_at is not None and key.revoked_at <= now:
        return False
    return key.expires_at is None or key.expires_at > now
