"""All SQL of browser sessions (rows are found by the HMAC of their token, never the token)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.websessions.models import WebSession


async def by_token_hash(session: AsyncSession, token_hash: str) -> WebSession | None:
    result = await session.execute(select(WebSession).where(WebSession.token_hash == token_hash))
    return result.scalar_one_or_none()


async def move_last_seen(session: AsyncSession, session_id: uuid.UUID, at: datetime) -> None:
    """The session's last-seen time, unless it is later already (never moved backwards)."""
    await session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.last_seen_at < at)
        .values(last_seen_at=at)
        .execution_options(synchronize_session=False)
    )


async def delete_expired(
    session: AsyncSession, *, expired_by: datetime, idle_since: datetime, limit: int
) -> int:
    """Delete up to `limit` sessions that expired by `expired_by` or were last seen by
    `idle_since`; how many were deleted."""
    batch = (
        select(WebSession.id)
        .where(or_(WebSession.expires_at <= expired_by, WebSession.last_seen_at <= idle_since))
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        delete(WebSession)
        .where(WebSession.id.in_(batch))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_by_token_hash(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


async def delete_of_subject(
    session: AsyncSession, subject_id: uuid.UUID, *, except_id: uuid.UUID | None = None
) -> None:
    """Delete every session of the user or admin (but `except_id`, when given)."""
    stmt = delete(WebSession).where(WebSession.subject_id == subject_id)
    if except_id is not None:
        stmt = stmt.where(WebSession.id != except_id)
    await session.execute(stmt)


async def live_of_subject(
    session: AsyncSession, subject_id: uuid.UUID, kind: str, *, now: datetime, idle_since: datetime
) -> list[WebSession]:
    """The subject's sessions of `kind` unexpired at `now` and seen after `idle_since`, most
    recently used first."""
    result = await session.execute(
        select(WebSession)
        .where(
            WebSession.subject_id == subject_id,
            WebSession.kind == kind,
            WebSession.expires_at > now,
            WebSession.last_seen_at > idle_since,
        )
        .order_by(WebSession.last_seen_at.desc(), WebSession.id)
    )
    return list(result.scalars())


async def delete_one_of_subject(
    session: AsyncSession, subject_id: uuid.UUID, session_id: uuid.UUID
) -> bool:
    """Delete one of the subject's sessions (never someone else's); False when there was none."""
    result = await session.execute(
        delete(WebSession).where(WebSession.id == session_id, WebSession.subject_id == subject_id)
    )
    return bool(getattr(result, "rowcount", 0))
