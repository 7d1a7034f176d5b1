"""Which errors mean "the database is unreachable" (503) and which stay 500s. The outage itself
is exercised against a real PostgreSQL in tests/faults/test_database_outage.py."""

from __future__ import annotations

import errno

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import create_async_engine

from greenroom.core.outages import is_database_unavailable


async def test_a_refused_connection_from_the_driver_is_an_outage(unused_tcp_port: int) -> None:
    engine = create_async_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{unused_tcp_port}/x")
    try:
        with pytest.raises(Exception) as raised:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert is_database_unavailable(raised.value)


def test_wrapped_connection_errors_are_outages() -> None:
    lost = sa_exc.DBAPIError("SELECT 1", None, asyncpg.exceptions.ConnectionDoesNotExistError())
    assert is_database_unavailable(lost)
    shutting_down = sa_exc.DBAPIError("SELECT 1", None, asyncpg.exceptions.AdminShutdownError())
    assert is_database_unavailable(shutting_down)
    invalidated = sa_exc.DBAPIError(
        "SELECT 1", None, Exception("gone"), connection_invalidated=True
    )
    assert is_database_unavailable(invalidated)
    assert is_database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))


def test_other_errors_are_not_outages() -> None:
    assert not is_database_unavailable(sa_exc.IntegrityError("INSERT", None, Exception("dup")))
    assert not is_database_unavailable(asyncpg.exceptions.QueryCanceledError())
    assert not is_database_unavailable(RuntimeError("a bug"))
    # Network-looking errors that no database driver raised: a webhook, a file, anything else.
    for error in (ConnectionRefusedError(errno.ECONNREFUSED, "x"), OSError(errno.ENOSPC, "full")):
        try:
            raise error
        except OSError as caught:
            assert not is_database_unavailable(caught)
