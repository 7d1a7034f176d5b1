"""Statements of the request path, run straight on the database driver.

An ORM session costs hundreds of microseconds of CPU around each statement (session and
transaction objects, the unit of work, result objects, the hop between SQLAlchemy's sync core and
asyncio), more than the rest of an authenticated request. The Partner API's hot calls are a few
statements of a few columns by an index, so they run as `Statement`s:

- written with SQLAlchemy Core (the same tables and columns as the rest of the code, never SQL
  text), with `bindparam`s for what varies;
- compiled once per dialect (and set of inserted columns), with SQLAlchemy's own type processing
  for every bound value and every column, so values come back exactly as through the ORM
  (UUIDs, aware datetimes, JSON), and with the columns' Python defaults applied on insert;
- run without a session: reads in autocommit mode (`Direct.one`, `Direct.all`), writes in a
  `Transaction` (where writes whose result nobody reads can go to PostgreSQL together:
  `execute_later`). On SQLite on the loop's thread (a `query_only` connection for reads, the
  process's writer connection for transactions; see `core.sqlite`), on PostgreSQL through a
  small asyncpg pool of this module's own.

Only bounded statements belong here (a row by key, a page of at most 200 rows): on SQLite they
run on the event loop's thread. Code that is shared with ORM paths takes an `Executor` (an
`AsyncSession` or a `Transaction`) and runs its statements with `execute`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache, partial
from typing import Any

import orjson
from sqlalchemy import Delete, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import TableClause, TextClause, visitors

from greenroom.core import pgpool, sqlite

# The asyncpg connections a process's request path may hold at once (`core.pgpool`).
PG_POOL_SIZE = 8
_PARAMETER = re.compile(r"\$(\d+)")  # a parameter in PostgreSQL's numbered style

Processor = Callable[[Any], Any] | None
Row = dict[str, Any]
Values = Mapping[str, Any]
Sql = Select[*tuple[Any, ...]] | Insert | Update | Delete


class _Compiled:
    """One statement for one dialect and one set of given values."""

    __slots__ = (
        "combinable",
        "defaults",
        "names",
        "params",
        "processors",
        "sql",
        "tables",
        "writes",
    )

    def __init__(self, statement: Sql, dialect: Dialect, keys: frozenset[str]) -> None:
        # For INSERT and UPDATE the given keys are the columns written; columns with a Python
        # default (or onupdate) the caller left out get it here, as the ORM would.
        self.defaults: list[tuple[str, Callable[[], Any]]] = []
        column_keys = None
        # (An INSERT ... SELECT names its columns itself: no keys, no defaults to fill.)
        if isinstance(statement, Insert | Update) and getattr(statement, "select", None) is None:
            column_keys = sorted(keys)
            for column in statement.table.columns:
                default = column.default if isinstance(statement, Insert) else column.onupdate
                if column.key in keys or default is None:
                    continue
                if default.is_callable:
                    self.defaults.append((column.key, partial(default.arg, None)))
                elif default.is_scalar:
                    self.defaults.append((column.key, partial(_same, default.arg)))
                column_keys.append(column.key)
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = str(compiled)
        # Per position: the bind's name, its value when no value is given (a literal in the
        # statement), and SQLAlchemy's processor for its type.
        self.params: list[tuple[str, Any, Processor]] = [
            (
                name,
                bind.effective_value,
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name in compiled.positiontup or ()
            for bind in (compiled.binds[name],)
        ]
        # The tables it names, read or written (aliases by their table), and the one it writes:
        # what `Transaction.execute_later` needs to know to send it together with others.
        nodes = list(visitors.iterate(statement))
        self.tables = frozenset(node.name for node in nodes if isinstance(node, TableClause))
        written = statement.table if isinstance(statement, Insert | Update | Delete) else None
        self.writes = written.name if isinstance(written, TableClause) else None
        # Whether it can be a `WITH` part of a statement `_together` builds: its parameters are
        # exactly $1..$n (so that renumbering them is safe), it has no WITH of its own, and no
        # SQL text whose tables `tables` cannot know.
        self.combinable = (
            {int(number) for number in _PARAMETER.findall(self.sql)}
            == set(range(1, len(self.params) + 1))
            and not self.sql.lstrip().upper().startswith("WITH")
            and not any(isinstance(node, TextClause) for node in nodes)
        )
        returned = list(statement.exported_columns) if _returns_rows(statement) else []
        self.names = [str(column.key) for column in returned]
        self.processors: list[Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned
        ]

    def arguments(self, values: Values) -> list[Any]:
        if self.defaults:
            values = dict(values)
            for key, make in self.defaults:
                values[key] = make()
        get = values.get
        return [
            get(name, default) if process is None else process(get(name, default))
            for name, default, process in self.params
        ]

    def row(self, raw: Sequence[Any]) -> Row:
        return {
            name: (process(value) if process is not None and value is not None else value)
            for name, process, value in zip(self.names, self.processors, raw, strict=True)
        }


def _same(value: Any) -> Any:
    return value


def _returns_rows(statement: Sql) -> bool:
    return isinstance(statement, Select) or bool(getattr(statement, "_returning", ()))


class Statement:
    """A statement written once with SQLAlchemy Core, compiled once per dialect (and, for an
    INSERT or UPDATE, per set of columns given)."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Sql) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def compiled(self, dialect: Dialect, values: Values) -> _Compiled:
        keys = (
            frozenset(values) if isinstance(self.statement, Insert | Update) else frozenset[str]()
        )
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            found = self._compiled[(dialect.name, keys)] = _Compiled(self.statement, dialect, keys)
        return found


class Result:
    """What a statement returned: its rows (dicts by column key) and the rows it changed."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> Row | None:
        return self.rows[0] if self.rows else None


class Transaction:
    """A read-write transaction on the driver, begun at its first statement (see `Direct`)."""

    def __init__(self, direct: Direct) -> None:
        self._direct = direct
        self._sqlite: Any = None  # an AsyncConnection of the writer pool, for the transaction
        self._pg: Any = None  # an asyncpg connection of `Direct`'s pool
        self._pg_pool: pgpool.Pool | None = None  # the pool it came from, to go back to
        self._pg_ready = True  # no statement on it was cut off midway (`pgpool.leaves_it_ready`)
        self._pg_transaction: Any = None
        self._driver: Any = None
        self.began = False
        # PostgreSQL: the writes `execute_later` queued (statement, arguments) and their tables.
        self._later: list[tuple[_Compiled, list[Any]]] = []
        self._later_writes: set[str] = set()

    @property
    def dialect(self) -> Dialect:
        return self._direct.dialect

    async def execute(self, statement: Statement, values: Values | None = None) -> Result:
        values = values or {}
        compiled = statement.compiled(self._direct.dialect, values)
        arguments = compiled.arguments(values)
        if self._direct.is_sqlite:
            driver = await self._sqlite_connection()
            raws, rowcount = await driver.run(compiled.sql, arguments, bool(compiled.names))
        else:
            connection = await self._pg_connection()
            if self._later:
                await self._send_later(connection)
            if compiled.names:
                raws = await self._on_pg(connection.fetch(compiled.sql, *arguments))
                rowcount = len(raws)
            else:
                status = await self._on_pg(connection.execute(compiled.sql, *arguments))
                raws, rowcount = [], _pg_rowcount(status)
        return Result([compiled.row(raw) for raw in raws], rowcount)

    async def execute_many(self, statement: Statement, rows: Sequence[Values]) -> None:
        """One statement for many rows of values (all with the same keys)."""
        if not rows:
            return
        if len(rows) == 1:  # a plain execute is cheaper
            await self.execute(statement, rows[0])
            return
        compiled = statement.compiled(self._direct.dialect, rows[0])
        arguments = [compiled.arguments(values) for values in rows]
        if self._direct.is_sqlite:
            connection = await self._sqlite_connection()
            await connection.cursor().executemany(compiled.sql, arguments)
        else:
            connection = await self._pg_connection()
            if self._later:
                await self._send_later(connection)
            await self._on_pg(connection.executemany(compiled.sql, arguments))

    async def execute_later(self, statement: Statement, values: Values | None = None) -> None:
        """An INSERT whose outcome nothing reads before the transaction ends: it returns nothing,
        and should it fail, the transaction fails (at its next statement or its commit) rather
        than this call.

        On PostgreSQL the inserts queued this way go to the server as one statement (all but the
        last as data-modifying `WITH` parts) just before the transaction's next statement or its
        commit: one round trip for all of them, where each costs one on its own (~40 us of our
        CPU, and PostgreSQL's per statement). The parts of one statement all see the database as
        it was before it, not each other's rows, so an insert that names a table an insert queued
        before it writes is sent after those, never with them. On SQLite, whose statements have
        no round trip, it runs now; so does one that cannot be a part (`_Compiled.combinable`).
        PostgreSQL runs the parts of one statement in no promised order (the last first, as it
        happens): nothing queued may depend on the order of the others."""
        if self._direct.is_sqlite:
            await self.execute(statement, values)
            return
        if not isinstance(statement.statement, Insert):
            raise TypeError("execute_later takes INSERTs")
        values = values or {}
        compiled = statement.compiled(self._direct.dialect, values)
        if compiled.names:
            raise TypeError("execute_later takes statements that return no rows")
        if not compiled.combinable:
            await self.execute(statement, values)
            return
        await self._queue([(compiled, values)])

    async def execute_together(self, statements: Sequence[tuple[Statement, Values]]) -> None:
        """INSERTs that must see the database as one statement does (none may need another's
        rows): queued like `execute_later`, all in the same statement. On SQLite, whose writers
        take turns, they run now, one after the other."""
        if self._direct.is_sqlite:
            for statement, values in statements:
                await self.execute(statement, values)
            return
        await self._queue(
            [
                (_combinable(statement, self._direct.dialect, values), values)
                for statement, values in statements
            ]
        )

    async def _queue(self, parts: Sequence[tuple[_Compiled, Values]]) -> None:
        """Queue `parts` to go in one statement; first send what is queued if any part names a
        table a queued insert writes (it would not see those rows)."""
        if any(compiled.tables & self._later_writes for compiled, _ in parts):
            await self._send_later(await self._pg_connection())
        for compiled, values in parts:
            self._later.append((compiled, compiled.arguments(values)))
            self._later_writes.add(str(compiled.writes))

    async def _send_later(self, connection: Any) -> None:
        later, self._later = self._later, []
        self._later_writes.clear()
        sql = _together(tuple(compiled for compiled, _ in later))
        values = [value for _, arguments in later for value in arguments]
        await self._on_pg(connection.execute(sql, *values))

    async def _on_pg(self, statement: Awaitable[Any]) -> Any:
        """Await a statement on the transaction's connection, noting whether an error left the
        connection unfit to be lent again (see `_end`)."""
        try:
            return await statement
        except BaseException as error:
            if not pgpool.leaves_it_ready(error):
                self._pg_ready = False
            raise

    async def begin_sqlite(self) -> sqlite.InlineConnection:
        """Take the writer connection and the write lock now (a `_SharedCommit`)."""
        return await self._sqlite_connection()

    async def _sqlite_connection(self) -> sqlite.InlineConnection:
        if self._sqlite is None:
            # The writer pool's one connection: the process's writers queue for it in order.
            self._sqlite = await self._direct.writer_engine.connect()
            raw = await self._sqlite.get_raw_connection()
            self._driver = raw.driver_connection
            self.began = True
            await self._driver.execute("BEGIN IMMEDIATE")
        assert isinstance(self._driver, sqlite.InlineConnection)
        return self._driver

    async def _pg_connection(self) -> Any:
        if self._pg is None:
            pool = await self._direct.pg_pool()
            connection = await pool.take()
            try:
                transaction = connection.transaction()
                await transaction.start()
            except BaseException:
                pool.give_back(connection, reusable=False)
                raise
            self._pg, self._pg_transaction, self._pg_pool = connection, transaction, pool
            self.began = True
        return self._pg

    async def finish(self, *, commit: bool) -> None:
        try:
            if commit and self._later:  # PostgreSQL: the queued inserts go before the commit
                await self._send_later(await self._pg_connection())
        except BaseException:
            await self._end(commit=False)
            raise
        await self._end(commit=commit)

    async def _end(self, *, commit: bool) -> None:
        self._later.clear()
        self._later_writes.clear()
        ended = False  # PostgreSQL: the COMMIT or ROLLBACK went through
        try:
            if self._sqlite is not None:
                if commit:
                    await self._driver.commit()
                else:
                    await self._driver.rollback()
            elif self._pg_transaction is not None:
                if commit:
                    await self._pg_transaction.commit()
                else:
                    await self._pg_transaction.rollback()
                ended = True
        finally:
            if self._sqlite is not None:
                await self._sqlite.close()  # back to the writer pool
                self._sqlite = None
            if self._pg is not None and self._pg_pool is not None:
                # Lent again only when the transaction ended and no statement was cut off.
                self._pg_pool.give_back(self._pg, reusable=ended and self._pg_ready)
                self._pg = self._pg_transaction = self._pg_pool = None


_IN_SHARED: ContextVar[bool] = ContextVar("in_shared_transaction", default=False)


class _Abandoned(Exception):
    """The writer that opened a shared transaction was cancelled while it began it."""


class _SharedCommit:
    """SQLite: one write transaction that the direct writers arriving while it is open join, and
    its commit, which each of them waits for before it answers.

    A commit costs more than a user create's statements (the WAL frames of every page changed,
    and the writer connection's checkout and BEGIN), and one process's writers take turns on one
    connection anyway. Under a burst of creates, those that are ready while one writes share its
    commit: one checkout, one BEGIN, one COMMIT, and the pages they share (the tables' last
    leaves) written once. The writer that opens it begins it; each member's statements run in a
    savepoint of its own, one member at a time (savepoints nest), so an error undoes only its own
    changes; the last member to leave lets the loop run once (the writers that are ready join)
    and, if no one did, commits. An error of the COMMIT reaches every member, none of which has
    answered yet. At most `MEMBERS` join one commit. A block must not open a second transaction:
    it would wait for its own commit.
    """

    MEMBERS = 32

    def __init__(self, direct: Direct) -> None:
        loop = asyncio.get_running_loop()
        self.transaction = Transaction(direct)
        self.begun: asyncio.Future[sqlite.InlineConnection] = loop.create_future()
        self.committed: asyncio.Future[None] = loop.create_future()
        self.joined = 0
        self.left = 0
        self.closed = False  # no one joins any more: it commits, or it could not begin
        self._savepoints = 0
        self._turn = asyncio.Lock()
        self._direct = direct

    def full(self) -> bool:
        return self.joined >= self.MEMBERS

    async def begin(self) -> sqlite.InlineConnection:
        """Take the writer connection and the write lock (the member that opened it)."""
        try:
            driver = await self.transaction.begin_sqlite()
        except BaseException as error:  # the members that joined meanwhile get it too
            self._close()
            await self.transaction.finish(commit=False)
            cancelled = isinstance(error, asyncio.CancelledError)
            self.begun.set_exception(_Abandoned() if cancelled else error)
            raise
        self.begun.set_result(driver)
        return driver

    @asynccontextmanager
    async def savepoint(self, driver: sqlite.InlineConnection) -> AsyncIterator[None]:
        """The member's block, in a savepoint, one member at a time: savepoints nest, so a
        member that began while another was inside would be undone with it."""
        async with self._turn:
            self._savepoints += 1
            name = f"member{self._savepoints}"
            await driver.run(f"SAVEPOINT {name}", (), False)
            try:
                yield
            except BaseException:
                await driver.run(f"ROLLBACK TO {name}", (), False)
                await driver.run(f"RELEASE {name}", (), False)
                raise
            await driver.run(f"RELEASE {name}", (), False)

    async def leave(self) -> None:
        """A member is done (its block ended, or it never got in): the last one commits, after
        one more turn of the loop for the writers that are ready; each waits for the commit."""
        self.left += 1
        if not self.begun.done() or self.begun.exception():
            return  # it never began: nothing to commit
        if self.joined == self.left and not self.closed:
            try:
                await asyncio.sleep(0)
            finally:  # also when cancelled there: the others' changes still commit
                if self.joined == self.left and not self.closed:
                    await self._commit()
        await asyncio.shield(self.committed)

    async def _commit(self) -> None:
        self._close()
        try:
            await self.transaction.finish(commit=True)
        except BaseException as error:
            self.committed.set_exception(error)
        else:
            self.committed.set_result(None)

    def _close(self) -> None:
        self.closed = True
        self._direct._close_shared(self)


@lru_cache(maxsize=256)
def _together(parts: tuple[_Compiled, ...]) -> str:
    """PostgreSQL: one statement that runs `parts` (writes returning nothing, their parameters
    numbered one after the other), all but the last as data-modifying `WITH` parts."""
    if len(parts) == 1:
        return parts[0].sql
    texts: list[str] = []
    offset = 0
    for part in parts:
        texts.append(_PARAMETER.sub(partial(_renumbered, by=offset), part.sql))
        offset += len(part.params)
    ctes = ", ".join(f"later{number} AS ({text})" for number, text in enumerate(texts[:-1]))
    return f"WITH {ctes} {texts[-1]}"


def _renumbered(parameter: re.Match[str], *, by: int) -> str:
    return f"${int(parameter[1]) + by}"


def _pg_rowcount(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") to a row count."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class Direct:
    """Runs `Statement`s for one database (one per process: `Database.direct`)."""

    def __init__(
        self, url: str, dialect: Dialect, writer_engine: AsyncEngine, sqlite_path: str | None
    ) -> None:
        self._url = url
        self.dialect = dialect
        self.writer_engine = writer_engine
        self.is_sqlite = sqlite_path is not None
        self._sqlite_path = sqlite_path
        self._sqlite: sqlite.InlineConnection | None = None
        self._pool: pgpool.Pool | None = None  # made at the first use
        self._opening = asyncio.Lock()
        self._shared: _SharedCommit | None = None  # SQLite: the transaction writers join
        self._closed = False

    async def one(self, statement: Statement, **values: Any) -> Row | None:
        """The first row of a read, in autocommit mode, or None."""
        rows = await self.all(statement, **values)
        return rows[0] if rows else None

    async def all(self, statement: Statement, **values: Any) -> list[Row]:
        """Every row of a read, in autocommit mode (keep it bounded: on SQLite it runs on the
        loop's thread)."""
        compiled = statement.compiled(self.dialect, values)
        arguments = compiled.arguments(values)
        if self._sqlite_path is not None:
            raws, _ = await (await self._sqlite_reader()).run(compiled.sql, arguments, True)
        else:
            raws = await (await self.pg_pool()).fetch(compiled.sql, *arguments)
        return [compiled.row(raw) for raw in raws]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A read-write transaction: committed when the block ends (its changes are durable when
        the block is left), rolled back on an error. On SQLite, blocks that run at the same time
        share one transaction and its commit, each in a savepoint of its own (`_SharedCommit`)."""
        if self.is_sqlite:
            async with self._shared_transaction() as shared:
                yield shared
            return
        transaction = Transaction(self)
        try:
            yield transaction
        except BaseException:
            await transaction.finish(commit=False)
            raise
        else:
            await transaction.finish(commit=True)

    @asynccontextmanager
    async def _shared_transaction(self) -> AsyncIterator[Transaction]:
        if _IN_SHARED.get():
            # It would wait for the commit of the transaction it is in: a deadlock.
            raise RuntimeError("a direct transaction opened inside another")
        while True:
            shared = self._shared
            begin: Awaitable[sqlite.InlineConnection]
            if shared is None or shared.closed or shared.full():
                shared = self._shared = _SharedCommit(self)
                begin = shared.begin()
            else:
                begin = asyncio.shield(shared.begun)
            shared.joined += 1
            try:
                driver = await begin
                break
            except _Abandoned:
                await shared.leave()  # its opener was cancelled while it began: open another
            except BaseException:
                await shared.leave()
                raise
        try:
            async with shared.savepoint(driver):
                inside = _IN_SHARED.set(True)
                try:
                    yield shared.transaction
                finally:
                    _IN_SHARED.reset(inside)
        finally:
            await shared.leave()

    def _close_shared(self, shared: _SharedCommit) -> None:
        if self._shared is shared:
            self._shared = None

    async def _sqlite_reader(self) -> sqlite.InlineConnection:
        if self._sqlite is None:
            assert self._sqlite_path is not None
            async with self._opening:
                if self._sqlite is None:
                    self._sqlite = await sqlite.connect(self._sqlite_path, read_only=True)
        return self._sqlite

    async def pg_pool(self) -> pgpool.Pool:
        if self._closed:
            raise RuntimeError("the database is closed")
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await _asyncpg_pool(self._url)
        return self._pool

    async def close(self) -> None:
        self._closed = True
        if self._sqlite is not None:
            await self._sqlite.close()
            self._sqlite = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


Executor = AsyncSession | Transaction
"""What code shared by the ORM paths and the direct ones runs its statements on."""


async def execute(on: Executor, statement: Statement, values: Values | None = None) -> Result:
    """Run `statement` in the caller's transaction, whichever kind it is."""
    if isinstance(on, Transaction):
        return await on.execute(statement, values)
    result = await on.execute(statement.statement, dict(values or {}))
    if isinstance(statement.statement, Select) or _returns_rows(statement.statement):
        return Result([dict(row) for row in result.mappings()], 0)
    return Result([], int(getattr(result, "rowcount", 0) or 0))


async def execute_later(on: Executor, statement: Statement, values: Values | None = None) -> None:
    """An INSERT whose outcome nothing reads before the transaction ends: in a direct
    transaction, `Transaction.execute_later` (on PostgreSQL, sent together with the others);
    in an ORM session, run now."""
    if isinstance(on, Transaction):
        await on.execute_later(statement, values)
    else:
        await execute(on, statement, values)


async def execute_together(on: Executor, statements: Sequence[tuple[Statement, Values]]) -> None:
    """INSERTs whose outcome nothing reads and that must see the database as one statement
    does (none may need another's rows): in a direct transaction,
    `Transaction.execute_together`; in an ORM session on PostgreSQL, one statement now (after
    the session's pending changes); on SQLite, one after the other."""
    if isinstance(on, Transaction):
        await on.execute_together(statements)
        return
    if dialect_of(on) == "sqlite":
        for statement, values in statements:
            await execute(on, statement, values)
        return
    await on.flush()
    dialect = on.get_bind().dialect
    parts = [(_combinable(statement, dialect, values), values) for statement, values in statements]
    arguments = [value for compiled, values in parts for value in compiled.arguments(values)]
    connection = await on.connection()  # the session's transaction, begun if it was not
    await connection.exec_driver_sql(_together(tuple(c for c, _ in parts)), tuple(arguments))


def _combinable(statement: Statement, dialect: Dialect, values: Values) -> _Compiled:
    compiled = statement.compiled(dialect, values)
    if not isinstance(statement.statement, Insert) or compiled.names or not compiled.combinable:
        raise TypeError("only INSERTs that return nothing and can be WITH parts go together")
    return compiled


def dialect_of(on: Executor) -> str:
    """`sqlite` or `postgresql`."""
    if isinstance(on, Transaction):
        return on.dialect.name
    return on.get_bind().dialect.name


def fields(source: object) -> Callable[[str], Any]:
    """Field access by name on a `Row` (a mapping) or an ORM object alike, so that one function
    builds a public object from either."""
    if isinstance(source, Mapping):
        return source.__getitem__
    return partial(getattr, source)


async def _asyncpg_pool(url: str) -> pgpool.Pool:
    import asyncpg  # only PostgreSQL deployments need it (greenroom[postgres])
    from sqlalchemy import make_url

    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    async def connect() -> Any:
        connection = await asyncpg.connect(dsn)
        try:
            # JSON as SQLAlchemy's asyncpg dialect has it: its bind processor serializes, the
            # codec passes the text on; the codec decodes, and its result processor has nothing
            # to do.
            for kind in ("json", "jsonb"):
                await connection.set_type_codec(
                    kind, encoder=str, decoder=orjson.loads, schema="pg_catalog"
                )
        except BaseException:
            connection.terminate()
            raise
        return connection

    return pgpool.Pool(connect, size=PG_POOL_SIZE)
