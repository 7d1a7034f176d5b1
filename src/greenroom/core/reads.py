"""Reads on the request path, straight on the database driver.

An ORM session costs hundreds of microseconds of CPU before and after its one SELECT (session
and transaction objects, statement construction, the unit of work, result objects): more than
the rest of an authenticated request. The Partner API's hot reads (a user, their progress, a page
of a list) are single SELECTs of a few columns by an index, so they run as a `Query`:

- written with SQLAlchemy Core (the same tables and columns as the rest of the code, never SQL
  text), with `bindparam`s for what varies;
- compiled once per dialect, with SQLAlchemy's own type processing for every bound value and
  every column (so values come back exactly as through the ORM: UUIDs, aware datetimes, JSON);
- run without a session: on SQLite on one `query_only` connection on the loop's thread (a
  statement in autocommit mode is its own snapshot and never waits for a writer in WAL mode), on
  PostgreSQL through a small asyncpg pool of its own, its prepared statements cached per
  connection.

Only bounded statements belong here (a row by key, a page of at most 200 rows): on SQLite they
run on the event loop's thread. Writes and everything else use the sessions of `core.db`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Select
from sqlalchemy.engine import Dialect

from greenroom.core import sqlite

Processor = Callable[[Any], Any] | None
Row = dict[str, Any]


class _Compiled:
    __slots__ = ("names", "params", "processors", "sql")

    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        order = compiled.positiontup or []
        # Per position: the bind's name, the value it has when the caller does not give one
        # (a literal in the statement), and SQLAlchemy's processor for its type.
        self.params: list[tuple[str, Any, Processor]] = [
            (
                name,
                bind.effective_value,
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in order
            for bind in (compiled.binds[name],)
        ]
        self.names = [str(column.key) for column in statement.selected_columns]
        self.processors: list[Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        out = []
        for name, default, process in self.params:
            value = values[name] if name in values else default
            out.append(process(value) if process is not None else value)
        return out

    def row(self, raw: Sequence[Any]) -> Row:
        return {
            name: (process(value) if process is not None and value is not None else value)
            for name, process, value in zip(self.names, self.processors, raw, strict=True)
        }


class Query:
    """A SELECT written once with SQLAlchemy Core and compiled once per dialect."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return found


class Reads:
    """Runs `Query`s for one database (one per process, on `Database.reads`)."""

    def __init__(self, url: str, dialect: Dialect, sqlite_path: str | None) -> None:
        self._url = url
        self._dialect = dialect
        self._sqlite_path = sqlite_path
        self._sqlite: sqlite.InlineConnection | None = None
        self._pool: Any = None  # asyncpg.Pool, made at the first read
        self._opening = asyncio.Lock()

    async def one(self, query: Query, **values: Any) -> Row | None:
        """The first row, or None."""
        compiled = query.compiled(self._dialect)
        arguments = compiled.arguments(values)
        if self._sqlite_path is not None:
            cursor = await (await self._sqlite_connection()).execute(compiled.sql, arguments)
            raw = await cursor.fetchone()
            await cursor.close()
        else:
            raw = await (await self._pg_pool()).fetchrow(compiled.sql, *arguments)
        return None if raw is None else compiled.row(raw)

    async def all(self, query: Query, **values: Any) -> list[Row]:
        """Every row (keep the statement bounded: on SQLite it runs on the loop's thread)."""
        compiled = query.compiled(self._dialect)
        arguments = compiled.arguments(values)
        if self._sqlite_path is not None:
            cursor = await (await self._sqlite_connection()).execute(compiled.sql, arguments)
            raws = await cursor.fetchall()
            await cursor.close()
        else:
            raws = await (await self._pg_pool()).fetch(compiled.sql, *arguments)
        return [compiled.row(raw) for raw in raws]

    async def _sqlite_connection(self) -> sqlite.InlineConnection:
        if self._sqlite is None:
            assert self._sqlite_path is not None
            async with self._opening:
                if self._sqlite is None:
                    self._sqlite = await sqlite.connect(self._sqlite_path, read_only=True)
        return self._sqlite

    async def _pg_pool(self) -> Any:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await _asyncpg_pool(self._url)
        return self._pool

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
            self._sqlite = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _asyncpg_pool(url: str) -> Any:
    import asyncpg  # type: ignore[import-untyped]  # only PostgreSQL deployments need it
    from sqlalchemy import make_url

    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    async def setup(connection: Any) -> None:
        # JSON decoded as SQLAlchemy's asyncpg dialect does it, so its processors apply as-is.
        for kind in ("json", "jsonb"):
            await connection.set_type_codec(
                kind,
                encoder=lambda value: orjson.dumps(value).decode(),
                decoder=orjson.loads,
                schema="pg_catalog",
            )

    return await asyncpg.create_pool(dsn, min_size=1, max_size=8, init=setup)


def fields(source: object) -> Callable[[str], Any]:
    """Field access by name on a `Row` (a mapping) or an ORM object alike, so that one function
    builds a public object from either."""
    if isinstance(source, Mapping):
        return source.__getitem__
    return partial(getattr, source)
