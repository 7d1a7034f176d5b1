"""Test harness: the real app over HTTP (httpx) against a real database.

SQLite by default (a file per test process); PostgreSQL when GREENROOM_TEST_DATABASE_URL names a
server (any database on it: each test process creates and drops a database of its own). Each test
makes its own organizations with unique slugs, so tests share one migrated database without
seeing each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.app import create_app
from greenroom.core import clock
from greenroom.core.migrate import upgrade
from greenroom.core.settings import Settings
from tests import pg, probe

TEST_SECRETS = "t1:test-secret-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("GREENROOM_TEST_DATABASE_URL")
    if server:
        with pg.temporary_database(server) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secrets=TEST_SECRETS,
        log_json=True,
        webhooks_allow_private=True,
        run_worker=False,
        content_dir=Path(__file__).parent / "practice" / "pack",
    )


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(upgrade, database_url)
    return database_url


@pytest.fixture(scope="session")
async def app(settings: Settings, migrated: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings, configure_logs=False)
    probe.include(application)
    async with LifespanManager(application):
        yield application


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture
async def db(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking rows directly; commit what you arrange."""
    async with app.state.sessionmaker() as session:
        yield session


def host_for(settings: Settings, slug: str, environment: str = "production") -> str:
    if environment == "sandbox":
        return f"{slug}.sandbox.{settings.base_domain}"
    return f"{slug}.{settings.base_domain}"


@pytest.fixture
async def client_for(app: FastAPI, settings: Settings):
    """`client_for(slug, environment)`: an httpx client whose requests carry that org's host."""
    clients: list[httpx.AsyncClient] = []

    def make(
        slug: str | None = None, environment: str = "production", host: str | None = None, **kwargs
    ) -> httpx.AsyncClient:
        target = host or host_for(settings, slug or "none", environment)
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{target}", **kwargs
        )
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


def unique_slug(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
