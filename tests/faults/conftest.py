"""Fixtures for the fault tests: servers of their own that the tests stop and restart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from greenroom.app import create_app
from greenroom.core.settings import Settings
from tests.conftest import host_for
from tests.faults.servers import RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def running_app(settings: Settings, **changes: Any) -> AsyncIterator[FastAPI]:
    """Another app (as another server process would be) on the suite's database."""
    app = create_app(settings.model_copy(update=changes), configure_logs=False)
    async with LifespanManager(app):
        yield app


def client(
    app: FastAPI, settings: Settings, slug: str, address: str = "127.0.0.1"
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url=f"http://{host_for(settings, slug)}",
    )
