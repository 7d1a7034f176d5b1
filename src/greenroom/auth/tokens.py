"""Bearer tokens for admins (DESIGN section 3). To be completed by the keys/auth work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.auth.errors import InvalidToken
from greenroom.tenancy.context import Tenant


async def resolve_bearer(
    session: AsyncSession, tenant: Tenant, token: str
) -> tuple[object, str, str]:
    """(admin id, admin email, role) for a valid access token; InvalidToken otherwise."""
    raise InvalidToken()
