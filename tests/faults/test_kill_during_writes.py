"""kill -9 of a server in the middle of writes loses nothing it acknowledged: every user whose
create answered 201 is there when a new server starts on the same database. (On SQLite the WAL
is in the operating system's hands once COMMIT returns; `synchronous=NORMAL` risks only a power
cut's last transactions, not a process's death.)"""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from tests.conftest import host_for
from tests.factories import make_key, make_org
from tests.processes import server_processes

pytestmark = pytest.mark.slow
JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}


async def test_every_acknowledged_create_survives_kill_9(app, settings, migrated) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    headers = {"Host": host_for(settings, org.slug), "Authorization": key}
    acknowledged: list[str] = []

    async def create(client: httpx.AsyncClient, n: int) -> None:
        try:
            response = await client.post(f"/api/users/killed-{n}", json=JANE)
        except httpx.TransportError:
            return  # cut off by the kill: not acknowledged, may or may not be there
        if response.status_code == 201:
            acknowledged.append(f"killed-{n}")

    with server_processes(migrated, 1) as servers:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{servers.ports[0]}", headers=headers, timeout=30
        ) as client:
            writes = [asyncio.create_task(create(client, n)) for n in range(300)]
            while len(acknowledged) < 50:  # well into the writes
                await asyncio.sleep(0.01)
            servers.procs[0].send_signal(signal.SIGKILL)
            await asyncio.gather(*writes)
    assert len(acknowledged) >= 50
    with server_processes(migrated, 1) as servers:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{servers.ports[0]}", headers=headers, timeout=30
        ) as client:
            for partner_id in acknowledged:
                response = await client.get(f"/api/users/{partner_id}")
                assert response.status_code == 200, partner_id
