from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.keys.models import ApiKey


async def find_by_hashes(session: AsyncSession, digests: list[str]) -> ApiKey | None:
    """The key whose stored HMAC is one of `digests` (one digest per server secret version)."""
    result = await session.execute(select(ApiKey).where(ApiKey.key_hash.in_(digests)))
    return result.scalars().first()
