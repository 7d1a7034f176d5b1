from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin


class AuditEvent(IdMixin, Base):
    """One security-relevant thing that happened in an org: who, what, when, from where."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_created", "org_id", "created_at", "id"),
        Index("ix_audit_events_org_event", "org_id", "event"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # None for events that belong to no environment (an admin-area log-in).
    environment: Mapped[str | None] = mapped_column(String(16), default=None)
    event: Mapped[str] = mapped_column(String(64))
    # "cli", "admin:{email}", "key:{id}" or "anonymous".
    actor: Mapped[str] = mapped_column(String(400))
    # Not a foreign key: the record outlives the admin.
    admin_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    key_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
