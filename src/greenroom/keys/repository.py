from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.keys.models import ApiKey


async def find_by_hashes(session: AsyncSession, digests: list[str]) -> ApiKey | None:
    """The key whose stored HMAC is one of `digests` (one digest per server secret version)."""
    result = await session.execute(select(ApiKey).where(ApiKey.key_hash.in_(digests)))
    return result.scalars().first()


async def get_for_org(
    session: AsyncSession, org_id: uuid.UUID, key_id: uuid.UUID, *, for_update: bool = False
) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.id == key_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_for_org(
    session: AsyncSession, org_id: uuid.UUID, environment: str | None
) -> Sequence[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.org_id == org_id)
    if environment is not None:
        stmt = stmt.where(ApiKey.environment == environment)
    stmt = stmt.order_by(ApiKey.created_at.desc(), ApiKey.id)
    return (await session.execute(stmt)).scalars().all()


async def touch(
    session: AsyncSession, key_id: uuid.UUID, now: datetime, not_since: datetime
) -> bool:
    """Set last_used_at unless another process did so after `not_since`; True when written."""
    result = await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < not_since),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def rehash(
    session: AsyncSession, key_id: uuid.UUID, old_version: str, key_hash: str, version: str
) -> bool:
    """Store the key's HMAC under a newer server secret (once: the old version must still hold)."""
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.secret_version == old_version)
        .values(key_hash=key_hash, secret_version=version)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
