"""Engines, sessions and the declarative base.

One `Database` per process holds three session makers:
- `writer`: read-write transactions. On SQLite they begin with `BEGIN IMMEDIATE` (the write
  lock up front, so nothing inside waits) on the process's single writer connection: the
  process's writers queue for it in order, and only the begin waits for another process.
- `reader`: read-only transactions. On SQLite a deferred `BEGIN` on `query_only` connections:
  in WAL mode a reader never waits for a writer. On PostgreSQL they run in autocommit (no
  BEGIN/COMMIT round trips).
- `offload`: read-only work heavy enough to stall the event loop (exports, aggregates over a
  whole org). On SQLite its statements run in threads (aiosqlite); on PostgreSQL it is `reader`.

On SQLite, `writer` and `reader` run their statements on the event loop's thread
(`core.sqlite`): a statement of the request path takes microseconds, a hop to a thread and back
about 250 us. A request opens at most one session (`SessionDep`): a reader for GET and HEAD, a
writer otherwise (see `session_kind`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, Table, Uuid, event, make_url
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator
from uuid_utils.compat import uuid7

from greenroom.core import clock, sqlite
from greenroom.core.direct import Direct

log = logging.getLogger("greenroom.db")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, `process_bind_param` then SQLAlchemy's text format written directly: the
        same text (`YYYY-MM-DD HH:MM:SS.ffffff`, compared as text by SQLite, so it must not
        change; tests/core/test_timestamps.py holds it to SQLAlchemy's), in 1.6 us instead of
        2.4 (1.1 for a time already in `UTC`). A create binds about ten."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        to_naive_utc = self.process_bind_param

        def to_text(value: datetime | None) -> str | None:
            if value is not None and value.tzinfo is UTC:  # as `clock.now` makes them
                return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
            naive = to_naive_utc(value, dialect)
            return None if naive is None else naive.isoformat(" ", "microseconds")

        return to_text


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements built once and executed with parameters."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def new_id() -> uuid.UUID:
    """A new row id: a UUID version 7 (RFC 9562), which begins with the time in milliseconds
    and goes on with random bits. A process's ids grow in the order it makes them, so a batch of
    inserts writes to the right edge of each index on the id (a page or two per batch) instead of
    a random page per row: on SQLite that halved the pages a user create writes to the WAL
    (docs/decisions.md, "The data path"). The time shows in the id; every row that has one
    shows its `created_at` anyway, and no id is a secret (secrets are tokens of their own)."""
    return uuid7()


def id_prefix() -> str:
    """The leading 16 hex digits of a `new_id()`: its time and version, for `ids_after`."""
    return uuid7().hex[:16]


class ids_after(FunctionElement[uuid.UUID]):
    """New ids made by the database, for an INSERT ... SELECT that makes a row per row it
    selects: `prefix` (a bound `id_prefix()`) followed by the RFC 4122 variant and 60 random
    bits drawn per row, in the form our `Uuid` columns store (a native uuid on PostgreSQL, 32
    lowercase hex digits on SQLite). Time-ordered like `new_id`."""

    type = Uuid()
    name = "ids_after"
    inherit_cache = True


@compiles(ids_after, "postgresql")
def _ids_after_postgresql(element: ids_after, compiler: SQLCompiler, **kw: Any) -> str:
    (prefix,) = (compiler.process(clause, **kw) for clause in element.clauses)
    # A version 4 uuid's 17th hex digit is the variant; 15 random digits follow it.
    random_tail = "substr(replace(CAST(gen_random_uuid() AS TEXT), '-', ''), 17)"
    return f"CAST(CAST({prefix} AS TEXT) || {random_tail} AS UUID)"


@compiles(ids_after, "sqlite")
def _ids_after_sqlite(element: ids_after, compiler: SQLCompiler, **kw: Any) -> str:
    (prefix,) = (compiler.process(clause, **kw) for clause in element.clauses)
    variant = "substr('89ab', 1 + (random() & 3), 1)"
    return f"({prefix} || {variant} || substr(lower(hex(randomblob(8))), 2))"


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Database:
    """The process's engines and its three session makers (see the module's docstring)."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            path: str = parsed.database or ""
            writer = _inline_sqlite_engine(url, path, read_only=False)
            reader = _inline_sqlite_engine(url, path, read_only=True)
            offload = create_async_engine(
                url,
                connect_args={"timeout": sqlite.BUSY_TIMEOUT_SECONDS},
                poolclass=AsyncAdaptedQueuePool,
                pool_size=4,
            )
            _configure_threaded_sqlite(offload, read_only=True)
            self.engines: tuple[AsyncEngine, ...] = (writer, reader, offload)
            self.writer = _sessionmaker(writer)
            self.reader = _sessionmaker(reader)
            self.offload = _sessionmaker(offload)
        else:
            engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800
            )
            self.engines = (engine,)
            self.writer = _sessionmaker(engine)
            self.reader = _sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))
            self.offload = self.reader
        # The request path's statements without a session (`core.direct`).
        self.direct = Direct(
            url, self.engine.dialect, self.engine, path if self.is_sqlite else None
        )

    async def checkpoints(self) -> None:
        """On SQLite, checkpoint the WAL every second in a thread, off the request path (see
        `core.sqlite`); runs until cancelled. Nothing to do on PostgreSQL."""
        if not self.is_sqlite:
            return
        path = make_url(self.url).database or ""
        last_write = None
        while True:
            await asyncio.sleep(sqlite.CHECKPOINT_SECONDS)
            try:
                wal = os.stat(f"{path}-wal")
            except OSError:
                continue  # no WAL (yet)
            if (wal.st_mtime_ns, wal.st_size) == last_write:
                continue  # nothing written since the last checkpoint
            last_write = (wal.st_mtime_ns, wal.st_size)
            try:
                await asyncio.to_thread(sqlite.checkpoint, path)
            except Exception:  # the next round tries again; the backstop keeps the WAL bounded
                log.warning("WAL checkpoint failed", exc_info=True)

    @property
    def engine(self) -> AsyncEngine:
        """The writer's engine (migrations, health checks, tests)."""
        return self.engines[0]

    async def dispose(self) -> None:
        await self.direct.close()
        for engine in self.engines:
            await engine.dispose()


def _sessionmaker(bind: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=True)


def _inline_sqlite_engine(url: str, path: str, *, read_only: bool) -> AsyncEngine:
    async def connect() -> Any:
        return await sqlite.connect(path, read_only=read_only)

    engine = create_async_engine(
        url,
        async_creator=connect,
        poolclass=AsyncAdaptedQueuePool,
        # One writer connection: the process's writers queue here, in order, instead of
        # polling SQLite's lock. Readers never wait for each other.
        pool_size=1 if not read_only else 8,
        max_overflow=0 if not read_only else 24,
        pool_timeout=sqlite.BUSY_TIMEOUT_SECONDS,
    )
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def make_engine(url: str) -> AsyncEngine:
    """A plain read-write engine whose statements run in threads (migrations and one-off tools;
    the server uses `Database`)."""
    if not make_url(url).get_backend_name() == "sqlite":
        return create_async_engine(url, pool_size=2, max_overflow=2)
    engine = create_async_engine(url, connect_args={"timeout": sqlite.BUSY_TIMEOUT_SECONDS})
    _configure_threaded_sqlite(engine, read_only=False)
    return engine


def _configure_threaded_sqlite(engine: AsyncEngine, *, read_only: bool) -> None:
    """aiosqlite connections: allowed to wait in SQLite's busy handler, since they wait in their
    own thread, not on the event loop."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions begin in `_on_begin`
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite.BUSY_TIMEOUT_SECONDS * 1000)}")
        for pragma in sqlite.SETUP_PRAGMAS:
            cursor.execute(pragma)
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


# The dialects' own `insert` (with `on_conflict_do_nothing`/`_do_update`), by dialect name:
# SQLite's and PostgreSQL's spell the same thing alike.
DIALECT_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite_dialect.insert}


def dialect_name(session: AsyncSession) -> str:
    """`sqlite` or `postgresql`."""
    return session.get_bind().dialect.name


def dialect_insert(session: AsyncSession) -> Any:
    """The `insert` of this session's dialect (see `DIALECT_INSERTS`)."""
    return DIALECT_INSERTS[dialect_name(session)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_kind(request: Request) -> str:
    """`reader` for requests that only read (GET, HEAD), `writer` for the rest. A GET route that
    writes says so with `WriterSessionDep`."""
    return "reader" if request.method in READ_METHODS else "writer"


async def _session(request: Request, kind: str) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint succeeds, rolled back otherwise.

    Services never commit; they flush when they need generated values.
    """
    database: Database = request.app.state.database
    factory = database.writer if kind == "writer" else database.reader
    async with factory() as session:
        # Authentication later in the same request reuses it (one session per request).
        request.state.db_session = session
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in _session(request, session_kind(request)):
        yield session


async def get_writer_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in _session(request, "writer"):
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
"""The request's session: read-only for GET and HEAD, read-write otherwise."""
WriterSessionDep = Annotated[AsyncSession, Depends(get_writer_session, scope="function")]
"""A read-write session whatever the method (a GET that records something)."""
