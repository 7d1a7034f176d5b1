"""The request path's PostgreSQL connections (`core.pgpool`): a connection that is lent is never
in the middle of something, and callers beyond the pool's size wait their turn.

Against the suite's PostgreSQL (GREENROOM_TEST_DATABASE_URL); skipped on SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import Float, bindparam, func, make_url, select

from greenroom.core.direct import Direct, Statement
from greenroom.core.pgpool import Pool

GUARD = 20  # seconds: only a lost connection or a deadlock takes this long


@pytest.fixture
async def dsn(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[Pool]:
    async def connect() -> Any:
        return await asyncpg.connect(dsn)

    made = Pool(connect, size=2)
    yield made
    await made.close()


async def _backend(pool: Pool) -> int:
    rows = await asyncio.wait_for(pool.fetch("SELECT pg_backend_pid()"), GUARD)
    return int(rows[0][0])


async def test_a_connection_is_lent_again_after_a_statement_the_server_refused(pool: Pool) -> None:
    first = await _backend(pool)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await pool.fetch("SELECT 1 / $1::int", 0)
    assert await _backend(pool) == first
    assert pool.lent == 0


async def test_a_query_cancelled_midway_closes_its_connection(pool: Pool) -> None:
    first = await _backend(pool)
    sleeping = asyncio.create_task(pool.fetch("SELECT pg_sleep(30)"))
    await asyncio.sleep(0.2)
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    # The next caller gets a connection that is ready, not the one still cancelling.
    assert await _backend(pool) != first
    assert pool.lent == 0


async def test_a_connection_the_server_dropped_is_not_lent_again(pool: Pool, dsn: str) -> None:
    connection = await pool.take()
    first = int(await connection.fetchval("SELECT pg_backend_pid()"))
    pool.give_back(connection, reusable=True)
    other = await asyncpg.connect(dsn)
    try:
        await other.execute("SELECT pg_terminate_backend($1)", first)
    finally:
        await other.close()
    for _ in range(GUARD * 20):  # until the client has seen its connection end
        if connection.is_closed():
            break
        await asyncio.sleep(0.05)
    assert await _backend(pool) != first  # no error: the idle connection was left out
    assert pool.lent == 0


async def test_callers_beyond_the_size_wait_in_order(pool: Pool) -> None:
    held = [await pool.take(), await pool.take()]
    order: list[str] = []

    async def waiter(name: str) -> None:
        async with pool.acquire() as connection:
            order.append(name)
            await connection.fetch("SELECT 1")

    first = asyncio.create_task(waiter("first"))
    await asyncio.sleep(0.05)
    cancelled = asyncio.create_task(waiter("cancelled"))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(waiter("second"))
    await asyncio.sleep(0.05)
    assert order == []  # both connections are lent: everyone waits
    cancelled.cancel()
    for connection in held:
        pool.give_back(connection, reusable=True)
    await asyncio.wait_for(asyncio.gather(first, second), GUARD)
    assert order == ["first", "second"]
    assert cancelled.cancelled()
    assert pool.lent == 0


async def test_a_transaction_left_open_is_not_lent_again(pool: Pool) -> None:
    connection = await pool.take()
    first = int(await connection.fetchval("SELECT pg_backend_pid()"))
    await connection.execute("BEGIN")
    pool.give_back(connection, reusable=True)  # a caller's bug: still in its transaction
    assert await _backend(pool) != first


async def test_a_connection_idle_too_long_is_closed_not_lent(dsn: str) -> None:
    async def connect() -> Any:
        return await asyncpg.connect(dsn)

    pool = Pool(connect, size=2, idle_seconds=0.2)
    try:
        connection = await pool.take()
        first = int(await connection.fetchval("SELECT pg_backend_pid()"))
        pool.give_back(connection, reusable=True)
        await asyncio.sleep(0.3)
        assert await _backend(pool) != first
        assert connection.is_closed()
    finally:
        await pool.close()


async def test_a_closed_pool_lends_nothing_and_closes_what_comes_back(pool: Pool) -> None:
    lent = await pool.take()
    await pool.close()
    with pytest.raises(RuntimeError):
        await pool.take()
    pool.give_back(lent, reusable=True)
    assert lent.is_closed()
    assert pool.lent == 0


# How `core.direct` uses the pool: a transaction gives its connection back to the pool it came
# from, and not for reuse when a statement of it was cut off midway.

_BACKEND = Statement(select(func.pg_backend_pid().label("pid")))
_SLEEP = Statement(select(func.pg_sleep(bindparam("seconds", type_=Float)).label("slept")))


async def test_a_transaction_cancelled_midway_does_not_lend_its_connection_again(
    app: FastAPI, dsn: str
) -> None:
    database = app.state.database
    direct = Direct(database.url, database.engine.dialect, database.engine, None)
    started = asyncio.Event()
    pids: list[int] = []

    async def sleeper() -> None:
        async with direct.transaction() as transaction:
            pids.append((await transaction.execute(_BACKEND)).rows[0]["pid"])
            started.set()
            await transaction.execute(_SLEEP, {"seconds": 30})

    try:
        task = asyncio.create_task(sleeper())
        await asyncio.wait_for(started.wait(), GUARD)
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pool = await direct.pg_pool()
        assert pool.lent == 0
        # The last connection given back is the next one lent: not the cut-off one.
        again = await asyncio.wait_for(direct.one(_BACKEND), GUARD)
        assert again is not None and again["pid"] != pids[0]
    finally:
        await direct.close()


async def test_a_transaction_open_when_the_database_closes_gives_back_to_its_own_pool(
    app: FastAPI, dsn: str
) -> None:
    database = app.state.database
    direct = Direct(database.url, database.engine.dialect, database.engine, None)
    pool = await direct.pg_pool()
    async with direct.transaction() as transaction:
        await transaction.execute(_BACKEND)
        assert pool.lent == 1
        await direct.close()
    assert pool.lent == 0  # back to the pool it came from, which closed it
    with pytest.raises(RuntimeError):
        await direct.pg_pool()  # no new pool behind the closed one
