"""The periodic purge of expired anonymous users, run inside every server process.

Several processes may run it at once: each expired user is deleted (and announced) by exactly
one of them, because the purge is a DELETE ... RETURNING.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.core import clock, periodic
from greenroom.idempotency import repository as idempotency
from greenroom.users import service

log = logging.getLogger("greenroom.purge")


async def purge_once(sessions: async_sessionmaker[AsyncSession]) -> int:
    """One purge in one transaction: expired anonymous users and stale idempotency records."""
    async with sessions() as session, session.begin():
        users = await service.purge_expired(session)
        await idempotency.purge_expired(session, clock.now())
    return users


async def purge_forever(
    sessions: async_sessionmaker[AsyncSession], interval: float, *, rounds: int | None = None
) -> None:
    """Purge every `interval` seconds (forever, or `rounds` times)."""

    async def purge() -> None:
        count = await purge_once(sessions)
        if count:
            log.info("purged expired anonymous users", extra={"count": count})

    await periodic.every(interval, purge, log=log, what="purge", rounds=rounds)
