"""The periodic purge, run inside every server process: expired anonymous users (with all
their data), stored Idempotency-Key responses past 24 hours, and expired browser sessions.

Several processes may run it at once: each expired user is deleted (and announced) by exactly
one of them, because the purge is a DELETE ... RETURNING. It works in small transactions, so
that the API's writes get the database in between (on SQLite there is one writer at a time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.core import clock, periodic
from greenroom.idempotency import repository as idempotency
from greenroom.users import service
from greenroom.websessions import service as websessions

log = logging.getLogger("greenroom.purge")
BATCH = 200


async def _in_batches(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[int]]
) -> int:
    """Run `work` (which handles at most BATCH rows) in transactions of its own until it is
    done, yielding to other tasks between them. Returns the rows handled."""
    total = 0
    while True:
        async with sessions() as session, session.begin():
            done = await work(session)
        total += done
        if done < BATCH:
            return total
        await asyncio.sleep(0)


async def purge_once(
    sessions: async_sessionmaker[AsyncSession], *, session_idle_minutes: int = 60
) -> int:
    """One purge of everything expired; returns how many anonymous users went."""
    now = clock.now()
    users = await _in_batches(sessions, lambda s: service.purge_expired(s, batch=BATCH))
    await _in_batches(sessions, lambda s: idempotency.purge_expired(s, now, limit=BATCH))
    await _in_batches(
        sessions,
        lambda s: websessions.delete_expired(
            s, now, idle_minutes=session_idle_minutes, limit=BATCH
        ),
    )
    return users


async def purge_forever(
    sessions: async_sessionmaker[AsyncSession],
    interval: float,
    *,
    session_idle_minutes: int = 60,
    rounds: int | None = None,
) -> None:
    """Purge every `interval` seconds (forever, or `rounds` times)."""

    async def purge() -> None:
        count = await purge_once(sessions, session_idle_minutes=session_idle_minutes)
        if count:
            log.info("purged expired anonymous users", extra={"count": count})

    await periodic.every(interval, purge, log=log, what="purge", rounds=rounds)
