"""The purge, a periodic background job (`greenroom.jobs`: one runner runs each round, however
many processes there are): expired anonymous users (with all their data), stored
Idempotency-Key responses past 24 hours, and expired browser sessions. `greenroom purge` runs
the same code once.

Several purges at once would still be safe: each expired user is deleted (and announced) by
exactly one of them, because the purge is a DELETE ... RETURNING. It works in small
transactions and pauses between them, so that the API's writes get the database in between (on
SQLite there is one writer at a time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.idempotency import repository as idempotency
from greenroom.jobs import JobContext, Registry
from greenroom.users import service
from greenroom.websessions import service as websessions

log = logging.getLogger("greenroom.purge")
KIND = "users.purge"
# Rows per transaction (a user goes with all their data: keep the write lock short).
BATCH = 25

Pause = Callable[[], Awaitable[None]]


async def _yield() -> None:
    await asyncio.sleep(0)


async def _in_batches(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[int]],
    pause: Pause,
) -> int:
    """Run `work` (which handles at most BATCH rows) in transactions of its own until it is
    done, pausing between them. Returns the rows handled."""
    total = 0
    while True:
        async with sessions() as session, session.begin():
            done = await work(session)
        total += done
        if done < BATCH:
            return total
        await pause()


async def purge_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    session_idle_minutes: int = 60,
    pause: Pause = _yield,
) -> int:
    """One purge of everything expired; returns how many anonymous users went."""
    now = clock.now()
    users = await _in_batches(sessions, lambda s: service.purge_expired(s, batch=BATCH), pause)
    await _in_batches(sessions, lambda s: idempotency.purge_expired(s, now, limit=BATCH), pause)
    await _in_batches(
        sessions,
        lambda s: websessions.delete_expired(
            s, now, idle_minutes=session_idle_minutes, limit=BATCH
        ),
        pause,
    )
    return users


def register(registry: Registry, settings: Settings) -> None:
    """The purge as a periodic job, every `purge_interval_seconds` (called at start-up)."""

    async def purge(ctx: JobContext) -> None:
        count = await purge_once(
            ctx.sessions, session_idle_minutes=settings.session_idle_minutes, pause=ctx.pause
        )
        if count:
            log.info("purged expired anonymous users", extra={"count": count})

    registry.periodic(KIND, purge, every=timedelta(seconds=settings.purge_interval_seconds))
