"""The asyncpg connections of the request path (`core.direct`): a small pool of our own.

asyncpg's pool costs about 30 us of CPU each time a connection is borrowed and given back (a
query through it 50 us on this machine, on the connection itself 21): a task for every release
(`asyncio.shield`), a proxy object, an inactivity timer armed and cancelled, a reset. The request
path borrows a connection for every read and every write transaction, so this pool keeps only
what it needs:

- at most `size` connections lent at once (a FIFO `asyncio.Semaphore`: when all are lent, the
  others wait in order), each opened when first needed by `connect`;
- the idle ones in a list, the one given back last lent first (its socket and caches are warm);
  one idle for `idle_seconds` is closed (a firewall or balancer may have dropped it silently);
- a connection goes back to the list only when the work on it ended normally (or with an error
  the server reported, which leaves it ready), outside a transaction. After anything else (a
  lost connection, a cancellation in the middle of a statement, a failed rollback) it is closed,
  and another is opened when one is needed. So a connection that is lent is never in the middle
  of something. Nothing is reset between callers: the request path's statements change no
  session state (no SET, LISTEN, advisory lock or cursor).

Once closed, the pool lends nothing; connections lent before are closed when given back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

Connection = Any  # asyncpg.Connection: asyncpg is imported only where PostgreSQL is used
IDLE_SECONDS = 300.0  # asyncpg's pool closed idle connections after as long


class Pool:
    def __init__(
        self,
        connect: Callable[[], Awaitable[Connection]],
        size: int,
        *,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._connect = connect
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[Connection, float]] = []  # (connection, idle since), oldest first
        self._idle_seconds = idle_seconds
        self._closed = False
        self.lent = 0  # connections taken and not given back yet

    async def take(self) -> Connection:
        """A connection of the pool's, for the caller alone until `give_back`."""
        self._check_open()
        await self._slots.acquire()
        try:
            self._check_open()  # it may have closed while the caller waited
            self._retire_stale()
            connection = None
            while self._idle and connection is None:
                connection, _since = self._idle.pop()
                if connection.is_closed():
                    connection = None
            if connection is None:
                connection = await self._connect()
        except BaseException:
            self._slots.release()
            raise
        self.lent += 1
        return connection

    def give_back(self, connection: Connection, *, reusable: bool) -> None:
        """Return a connection `take` lent: kept for the next caller when `reusable` (the work on
        it ended normally) and it is open and outside a transaction, closed otherwise."""
        try:
            if (
                reusable
                and not self._closed
                and not connection.is_closed()
                and not connection.is_in_transaction()
            ):
                self._idle.append((connection, time.monotonic()))
            else:
                connection.terminate()
        finally:
            self.lent -= 1
            self._slots.release()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the connection pool is closed")

    def _retire_stale(self) -> None:
        oldest = time.monotonic() - self._idle_seconds
        while self._idle and self._idle[0][1] < oldest:
            connection, _since = self._idle.pop(0)
            connection.terminate()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Connection]:
        """`take` and `give_back` around a block, as `fetch` does for one statement."""
        connection = await self.take()
        try:
            yield connection
        except BaseException as error:
            self.give_back(connection, reusable=leaves_it_ready(error))
            raise
        self.give_back(connection, reusable=True)

    async def fetch(self, sql: str, *arguments: Any) -> list[Any]:
        """One statement's rows, on a connection of the pool's (in autocommit mode). (Not
        through `acquire`: a context manager costs a few microseconds, on every read.)"""
        connection = await self.take()
        try:
            rows: list[Any] = await connection.fetch(sql, *arguments)
        except BaseException as error:
            # An error the server reported leaves the connection ready for the next statement;
            # anything else (a lost connection, a cancellation mid-query) may not.
            self.give_back(connection, reusable=leaves_it_ready(error))
            raise
        self.give_back(connection, reusable=True)
        return rows

    async def close(self) -> None:
        """Close the idle connections; those lent are closed when given back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection, _since in idle:
            try:
                await asyncio.wait_for(connection.close(), 5)
            except Exception:  # closing politely failed: just drop the socket
                connection.terminate()


def leaves_it_ready(error: BaseException) -> bool:
    """Whether a connection whose statement raised `error` is ready for the next one: an error
    the server reported about the statement is; anything else (the connection lost, the server
    shutting down, a cancellation mid-statement) may not be."""
    import asyncpg

    return isinstance(error, asyncpg.PostgresError) and not isinstance(
        error,
        asyncpg.exceptions.PostgresConnectionError | asyncpg.exceptions.OperatorInterventionError,
    )
