"""The rows of the API Settings page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import clock
from greenroom.keys.models import ApiKey
from greenroom.tenancy.context import Tenant


def now() -> datetime:
    return clock.now()


async def list_keys(session: AsyncSession, tenant: Tenant) -> Sequence[ApiKey]:
    """Every live key of the org, both environments (all admins see all keys, as the seeds say)."""
    current = clock.now()
    result = await session.execute(
        select(ApiKey)
        .where(
            ApiKey.org_id == tenant.org_id,
            or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > current),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > current),
        )
        .order_by(ApiKey.environment, ApiKey.created_at.desc())
    )
    return result.scalars().all()
