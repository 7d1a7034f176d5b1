"""Two real server processes on one database (SQLite file or PostgreSQL): a key revoked through
one is refused by the other within `auth_cache_seconds`, and at once by the one that revoked it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import CHECK
from tests.conftest import host_for
from tests.factories import make_key, make_org
from tests.processes import server_processes

ROOT = Path(__file__).resolve().parents[2]
CACHE_SECONDS = 5.0

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(migrated: str) -> Iterator[list[int]]:
    with server_processes(migrated, 2, auth_cache_seconds=CACHE_SECONDS) as running:
        yield running.ports


async def test_key_revoked_in_one_process_is_refused_by_the_other_within_the_bound(
    app, settings, servers
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    host = host_for(settings, org.slug)
    first, second = (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Host": host})
        for port in servers
    )
    async with first, second:
        for client in (first, second):  # both processes now hold the key in their caches
            response = await client.get(CHECK, headers={"Authorization": key})
            assert response.status_code == 200, response.text
        key_id = response.json()["key"]["id"]

        revoked = await first.post(f"/api/_probe/keys/{key_id}/revoke")
        revoked_at = time.monotonic()
        assert revoked.status_code == 204
        assert (await first.get(CHECK, headers={"Authorization": key})).status_code == 401

        while True:
            status = (await second.get(CHECK, headers={"Authorization": key})).status_code
            elapsed = time.monotonic() - revoked_at
            if status == 401:
                break
            assert status == 200
            assert elapsed < CACHE_SECONDS + 1.0, "the other process still accepts the key"
            await asyncio.sleep(0.2)
        assert elapsed <= CACHE_SECONDS + 1.0
