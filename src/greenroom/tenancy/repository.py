from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.tenancy.models import Organization


async def get_by_slug(session: AsyncSession, slug: str) -> Organization | None:
    result = await session.execute(select(Organization).where(Organization.slug == slug))
    return result.scalar_one_or_none()


async def list_all(session: AsyncSession) -> Sequence[Organization]:
    result = await session.execute(select(Organization).order_by(Organization.slug))
    return result.scalars().all()


async def with_retention(session: AsyncSession) -> Sequence[Organization]:
    """The orgs whose recordings are removed after some days (practice/retention.py)."""
    stmt = (
        select(Organization)
        .where(Organization.recording_retention_days.is_not(None))
        .order_by(Organization.id)
    )
    return (await session.execute(stmt)).scalars().all()
