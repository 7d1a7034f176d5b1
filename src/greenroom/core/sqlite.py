"""SQLite for a server: statements run on the event loop's thread, and nobody waits in a lock.

Why not aiosqlite alone: it hands every statement to a thread and back, which costs about
250 us of wall time and most of a request's CPU, while the statements of a request (an indexed
look-up, a few inserts) take 5 to 50 us in SQLite itself. So the request path runs them inline.

What makes inline safe is that no inline statement ever sleeps in SQLite's busy handler (that
would stall the whole process):
- Connections run in WAL mode with `busy_timeout=0`. Readers never wait for a writer in WAL.
- A read-only transaction is a plain deferred `BEGIN` on a connection with `query_only` on.
- A write transaction is `BEGIN IMMEDIATE`: it takes the write lock up front, so the statements
  after it never wait. When another connection holds the lock (another process, or a background
  job's connection) the begin is retried with `asyncio.sleep` in between: the coroutine waits,
  the event loop does not. Within a process, writers queue in the writer pool (one connection).
- Any other SQLITE_BUSY (WAL recovery after a crash, a checkpoint) is retried the same way.

Heavy read-only work (exports, aggregates over a whole org) would block the loop for as long as
SQLite works on it, so it goes to `Database.offload` (aiosqlite: a thread per connection)
instead; see `core.db`.

`InlineConnection` offers the part of aiosqlite's interface that SQLAlchemy's aiosqlite dialect
uses, and is handed to it through `create_async_engine(async_creator=...)`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

BUSY_TIMEOUT_SECONDS = 30.0
# A checkpoint that runs in a COMMIT runs on the event loop's thread, with its fsyncs (tens of ms
# with a few MB to write): every request waits. So the checkpoint task runs often enough to keep
# the WAL well under this backstop (about 200 MB), which only a checkpoint that cannot keep up
# (a long reader) ever reaches. With the task every second and a backstop of 10,000 pages, a burst
# of user creates (~16,000 WAL pages a second on 2 cores) crossed it twice a second: p99 47 ms
# against 27 now (docs/decisions.md, "The data path").
BACKSTOP_CHECKPOINT_PAGES = 50_000
CHECKPOINT_SECONDS = 0.25
# The page size of database files Greenroom creates (SQLite's default is 4 KB). A COMMIT writes
# every page the transaction changed to the WAL, whole, and a user create changes ~30 pages in as
# many B-trees (the user, sign-in token, outbox and read-model rows and their indexes), each by a
# row or an index entry; 1 KB pages write a quarter of the bytes. Sequential creates in process:
# 844 -> 646 us of CPU each (docs/decisions.md, "The data path"). An existing file keeps its size.
PAGE_SIZE = 1024
# What every connection of ours sets after its busy timeout (this module's inline ones and
# `core.db`'s threaded ones), in this order: the page size applies to a new file only before
# its switch to WAL.
SETUP_PRAGMAS = (
    f"PRAGMA page_size={PAGE_SIZE}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
_FIRST_WAIT, _MAX_WAIT = 0.0005, 0.02  # backoff between tries while another writer holds the lock


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(error)


async def _retry_busy(run: Any, *args: Any) -> Any:
    """`run(*args)`, retried with growing async sleeps while SQLite answers SQLITE_BUSY."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    wait = _FIRST_WAIT
    while True:
        try:
            return run(*args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, _MAX_WAIT)


class InlineCursor:
    """An aiosqlite-like cursor whose coroutines finish without leaving the thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            await _retry_busy(self._cursor.execute, sql)
        else:
            await _retry_busy(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        await _retry_busy(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """An aiosqlite-like connection over a `sqlite3` connection used on the loop's thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # aiosqlite's name for the open connection (None once closed): SQLAlchemy's dialect
        # checks it before a commit or rollback.
        self._connection: sqlite3.Connection | None = conn

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def run(self, sql: str, parameters: Sequence[Any], fetch: bool) -> tuple[list[Any], int]:
        """The statement's rows (when `fetch`) and row count, in one call: what `core.direct`
        runs each statement with (`execute`, `fetchall` and `close` are a coroutine each)."""
        try:
            return self._run(sql, parameters, fetch)
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        result: tuple[list[Any], int] = await _retry_busy(self._run, sql, parameters, fetch)
        return result

    def _run(self, sql: str, parameters: Sequence[Any], fetch: bool) -> tuple[list[Any], int]:
        cursor = self._conn.execute(sql, parameters)
        try:
            return (cursor.fetchall() if fetch else []), cursor.rowcount
        finally:
            cursor.close()

    async def commit(self) -> None:
        # Inline too, although it waits for the disk (it writes the transaction to the WAL; the
        # fsyncs are the checkpoints', off the request path): handing it to a thread cost more
        # than it saved, 0.032 against 0.061 of the bare app for a user create on 2 cores, since
        # every hand-over of the GIL stalls the loop (docs/decisions.md).
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._connection = None
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


async def connect(path: str, *, read_only: bool) -> InlineConnection:
    """An inline connection configured as every connection of ours is (WAL, foreign keys,
    transactions begun explicitly by SQLAlchemy's `begin` event, see `core.db`)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=0")
    for pragma in SETUP_PRAGMAS:
        # Switching a new file to WAL needs a moment of exclusive access: retried while busy.
        await _retry_busy(conn.execute, pragma)
    if read_only:
        conn.execute("PRAGMA query_only=ON")
    else:
        # Checkpoints (copying the WAL into the database file, with an fsync) would otherwise
        # run inside the COMMIT of whichever request crossed 1,000 pages; `checkpoint` runs
        # them in a thread instead. This is a backstop should that not keep up.
        conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
    return InlineConnection(conn)


def checkpoint(path: str) -> None:
    """Copy what the WAL holds into the database file, without waiting for anyone (PASSIVE).
    Blocking: run it in a thread (`Database.checkpoints`)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=1000")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()
