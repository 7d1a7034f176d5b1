"""All SQL of bearer tokens (the admins' own look-ups are in `admins.repository`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.auth.models import AuthToken


async def find_by_digests(session: AsyncSession, digests: Sequence[str]) -> AuthToken | None:
    """The token whose stored HMAC is one of `digests` (one digest per server secret version)."""
    result = await session.execute(select(AuthToken).where(AuthToken.token_hash.in_(list(digests))))
    return result.scalars().first()


async def spend(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a refresh token used, unless it was already: True when this call spent it."""
    result = await session.execute(
        update(AuthToken)
        .where(AuthToken.id == token_id, AuthToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    """Revoke every token of the family not revoked yet (access and refresh tokens alike)."""
    await session.execute(
        update(AuthToken)
        .where(AuthToken.family_id == family_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
