"""Bookkeeping written behind the request: noted in memory now, written together a moment later.

For values nobody waits for (when a key or a browser session was last used), a write per
request would make every read a write: on SQLite each would queue for the write lock. Instead
the request notes the value, and one transaction writes everything noted in the last couple of
seconds. A crash loses at most that much bookkeeping, never data anyone asked us to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("greenroom.db")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class WriteBehind(Generic[K, V]):
    """The latest value noted per key, written by `write` in one transaction after `delay`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write: Callable[[AsyncSession, dict[K, V]], Awaitable[None]],
        *,
        what: str,
        delay: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._write = write
        self._what = what
        self._delay = delay
        self._noted: dict[K, V] = {}
        self._waiting: asyncio.Task[None] | None = None  # gathers notes, then writes them
        self._tasks: set[asyncio.Task[None]] = set()  # the waiting one and writes under way
        self._now = asyncio.Event()

    def note(self, key: K, value: V) -> None:
        """Remember `value` for `key`; the write follows within `delay` seconds."""
        self._noted[key] = value
        if self._waiting is None:
            task = asyncio.get_running_loop().create_task(self._write_later())
            self._waiting = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def pending(self, key: K) -> V | None:
        """The value noted for `key` and not written yet, if any."""
        return self._noted.get(key)

    async def _write_later(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._now.wait(), self._delay)
        noted, self._noted = self._noted, {}
        self._waiting = None  # notes from now on start the next round
        try:
            async with self._sessions() as session, session.begin():
                await self._write(session, noted)
        except Exception:  # bookkeeping: a lost write must not fail anything
            log.warning("could not write %s", self._what, exc_info=True)

    async def flush(self) -> None:
        """Write what is noted now, and wait until every write under way is done (shutdown,
        tests)."""
        self._now.set()
        try:
            while self._tasks:
                await asyncio.gather(*list(self._tasks))
        finally:
            self._now.clear()
