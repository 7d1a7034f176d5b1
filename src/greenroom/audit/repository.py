"""All SQL of the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.audit.models import AuditEvent
from greenroom.core.db import table_of
from greenroom.core.pagination import after_position


async def insert_many(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    """Events given as values by column name, in one statement."""
    await session.execute(insert(table_of(AuditEvent)), list(entries))


async def list_for_org(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    event: str | None,
    admin_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[AuditEvent]:
    """Up to `limit` of the org's events, newest first (`before`: those after that position in
    this order)."""
    stmt = select(AuditEvent).where(AuditEvent.org_id == org_id)
    if event:
        stmt = stmt.where(AuditEvent.event == event)
    if admin_id:
        stmt = stmt.where(AuditEvent.admin_id == admin_id)
    if since:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until:
        stmt = stmt.where(AuditEvent.created_at < until)
    if before:
        at, last_id = before
        position = (literal(at, AuditEvent.created_at.type), literal(last_id, AuditEvent.id.type))
        stmt = stmt.where(
            after_position(AuditEvent.created_at, AuditEvent.id, position, descending=True)
        )
    stmt = stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def set_details(session: AsyncSession, event_id: uuid.UUID, details: dict[str, Any]) -> None:
    await session.execute(
        update(AuditEvent).where(AuditEvent.id == event_id).values(details=details)
    )
