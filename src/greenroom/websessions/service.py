"""Server-side browser sessions for members and admins.

- A new session id at every sign-in (the old session, if the browser had one, is ended).
- Idle expiry (`GREENROOM_SESSION_IDLE_MINUTES`) and absolute expiry
  (`GREENROOM_SESSION_ABSOLUTE_HOURS`).
- Cookie: HttpOnly, SameSite=Lax, Secure under https, host-only (no Domain), so an org's session
  cookie is never sent to another org's host.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from greenroom.core import clock
from greenroom.core.security import hmac_digest
from greenroom.core.settings import Settings
from greenroom.tenancy.context import Tenant
from greenroom.websessions.models import WebSession

Kind = Literal["member", "admin"]
COOKIE_NAMES: dict[str, str] = {"member": "gr_member", "admin": "gr_admin"}
_LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def _hash(settings: Settings, token: str) -> str:
    # Session tokens are short-lived: hashed under the current secret only.
    return hmac_digest(settings.server_secrets[0], token)


async def start(
    session: AsyncSession,
    settings: Settings,
    tenant: Tenant,
    *,
    kind: Kind,
    subject_id: uuid.UUID,
    previous_token: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """A new session; returns the token for the cookie."""
    if previous_token:
        await end(session, settings, previous_token)
    token = secrets.token_hex(32)
    now = clock.now()
    session.add(
        WebSession(
            token_hash=_hash(settings, token),
            org_id=tenant.org_id,
            environment=tenant.environment.value,
            kind=kind,
            subject_id=subject_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            data=data or {},
        )
    )
    await session.flush()
    return token


async def load(
    session: AsyncSession, settings: Settings, tenant: Tenant, *, kind: Kind, token: str | None
) -> WebSession | None:
    """The live session for this cookie on this org and environment, or None."""
    if not token or len(token) != 64:
        return None
    result = await session.execute(
        select(WebSession).where(WebSession.token_hash == _hash(settings, token))
    )
    found = result.scalar_one_or_none()
    now = clock.now()
    if (
        found is None
        or found.kind != kind
        or found.org_id != tenant.org_id
        or found.environment != tenant.environment.value
    ):
        return None
    idle_limit = found.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= found.expires_at or now >= idle_limit:
        await session.delete(found)
        return None
    if now - found.last_seen_at >= _LAST_SEEN_RESOLUTION:
        found.last_seen_at = now
    return found


async def end(session: AsyncSession, settings: Settings, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == _hash(settings, token)))


async def end_all_for(session: AsyncSession, subject_id: uuid.UUID) -> None:
    await session.execute(delete(WebSession).where(WebSession.subject_id == subject_id))


def set_cookie(response: Response, settings: Settings, kind: Kind, token: str) -> None:
    response.set_cookie(
        COOKIE_NAMES[kind],
        token,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.public_scheme == "https",
        path="/",
    )


def clear_cookie(response: Response, settings: Settings, kind: Kind) -> None:
    response.delete_cookie(
        COOKIE_NAMES[kind],
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.public_scheme == "https",
    )
