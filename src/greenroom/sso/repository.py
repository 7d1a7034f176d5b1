"""All SQL of redeeming sign-in tokens (the `sso_tokens` table belongs to users, which issues
them: `users.repository.insert_sign_in_token`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.tenant import of_tenant
from greenroom.tenancy.context import Tenant
from greenroom.users.models import SsoToken


async def spend(
    session: AsyncSession, tenant: Tenant, digests: Sequence[str], now: datetime
) -> bool:
    """Mark used the token of `tenant` whose stored HMAC is one of `digests`, if it is unused
    and unexpired: one conditional UPDATE, so of two concurrent redemptions only one finds
    `used_at IS NULL` (PostgreSQL re-checks the row after the other's lock; SQLite serialises
    writers). True when exactly one row was spent."""
    result = await session.execute(
        update(SsoToken)
        .where(
            SsoToken.token_hash.in_(list(digests)),
            of_tenant(SsoToken, tenant),
            SsoToken.used_at.is_(None),
            SsoToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def by_digests(session: AsyncSession, digests: Sequence[str]) -> SsoToken:
    """The token whose stored HMAC is one of `digests` (one that `spend` just spent)."""
    result = await session.execute(select(SsoToken).where(SsoToken.token_hash.in_(list(digests))))
    return result.scalar_one()
