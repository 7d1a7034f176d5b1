"""Several server processes on one database (on SQLite, one file): writes and reads from both at
once all succeed, and each process sees the other's writes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import host_for
from tests.factories import make_key, make_org
from tests.processes import Servers, server_processes

pytestmark = pytest.mark.slow
JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}


@pytest.fixture
def servers(migrated: str) -> Iterator[Servers]:
    with server_processes(migrated, 2) as running:
        yield running


async def test_two_processes_write_and_read_at_once(app, settings, servers) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    headers = {"Host": host_for(settings, org.slug), "Authorization": key}
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60)
        for port in servers.ports
    ]
    try:
        creates = [clients[n % 2].post(f"/api/users/both-{n}", json=JANE) for n in range(60)]
        reads = [clients[n % 2].get("/api/users") for n in range(30)]
        responses = await asyncio.gather(*creates, *reads)
        statuses = [r.status_code for r in responses]
        assert statuses == [201] * 60 + [200] * 30
        # Each process reads what the other wrote.
        for client in clients:
            listed = (await client.get("/api/users?limit=200")).json()["users"]
            assert {u["partner_id"] for u in listed} == {f"both-{n}" for n in range(60)}
        assert "database is locked" not in servers.logs()
    finally:
        for client in clients:
            await client.aclose()
