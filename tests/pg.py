"""A throwaway PostgreSQL database per test process, on a server named by a URL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.engine import make_url


async def _admin(server_url: str, sql: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(server_url: str) -> str:
    name = f"greenroom_test_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    name = make_url(url).database
    await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    url = asyncio.run(create_database(server_url))
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))
