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
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from greenroom.core import clock
from greenroom.core.security import hmac_digest
from greenroom.core.settings import Settings
from greenroom.core.writebehind import WriteBehind
from greenroom.tenancy.context import Tenant
from greenroom.websessions import repository
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
    session: AsyncSession,
    settings: Settings,
    tenant: Tenant,
    *,
    kind: Kind,
    token: str | None,
    seen: WriteBehind[uuid.UUID, datetime],
) -> WebSession | None:
    """The live session for this cookie on this org and environment, or None.

    Reads only: the new last-seen time goes to `seen` (written behind, at most once a minute per
    session), and expired sessions are left for the purge (`delete_expired`). So a page view
    never takes the database's write lock."""
    if not token or len(token) != 64:
        return None
    found = await repository.by_token_hash(session, _hash(settings, token))
    now = clock.now()
    if (
        found is None
        or found.kind != kind
        or found.org_id != tenant.org_id
        or found.environment != tenant.environment.value
    ):
        return None
    last_seen = max(found.last_seen_at, seen.pending(found.id) or found.last_seen_at)
    idle_limit = last_seen + timedelta(minutes=settings.session_idle_minutes)
    if now >= found.expires_at or now >= idle_limit:
        return None
    if now - last_seen >= _LAST_SEEN_RESOLUTION:
        seen.note(found.id, now)
    return found


async def write_last_seen(session: AsyncSession, seen: dict[uuid.UUID, datetime]) -> None:
    """The write-behind batch of `load`: last-seen times, never moved backwards."""
    for session_id, at in seen.items():
        await repository.move_last_seen(session, session_id, at)


async def delete_expired(
    session: AsyncSession, now: datetime, *, idle_minutes: int, limit: int
) -> int:
    """Delete up to `limit` sessions past their absolute or idle expiry (the purge's batches)."""
    idle_since = now - timedelta(minutes=idle_minutes)
    return await repository.delete_expired(
        session, expired_by=now, idle_since=idle_since, limit=limit
    )


async def end(session: AsyncSession, settings: Settings, token: str) -> None:
    await repository.delete_by_token_hash(session, _hash(settings, token))


async def end_all_for(
    session: AsyncSession, subject_id: uuid.UUID, *, except_id: uuid.UUID | None = None
) -> None:
    """Ends every session of the user or admin (but `except_id`, the one in use, when given)."""
    await repository.delete_of_subject(session, subject_id, except_id=except_id)


async def live_sessions(
    session: AsyncSession, settings: Settings, subject_id: uuid.UUID, kind: Kind
) -> list[WebSession]:
    """The subject's sessions that are still valid (neither idle too long nor past their
    absolute limit), most recently used first."""
    now = clock.now()
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    return await repository.live_of_subject(
        session, subject_id, kind, now=now, idle_since=idle_since
    )


async def end_one(session: AsyncSession, subject_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    """Ends one of the subject's sessions (never someone else's); False when there was none."""
    return await repository.delete_one_of_subject(session, subject_id, session_id)


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
