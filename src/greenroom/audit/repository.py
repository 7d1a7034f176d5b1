from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.audit.models import AuditEvent


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
        stmt = stmt.where(
            or_(
                AuditEvent.created_at < at,
                and_(AuditEvent.created_at == at, AuditEvent.id < last_id),
            )
        )
    stmt = stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()
