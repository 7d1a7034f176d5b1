"""Two real server processes on one PostgreSQL: a key revoked through one is refused by the
other within `auth_cache_seconds`, and at once by the one that revoked it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import CHECK
from tests.conftest import TEST_SECRETS, host_for
from tests.factories import make_key, make_org

ROOT = Path(__file__).resolve().parents[2]
CACHE_SECONDS = 5.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("GREENROOM_TEST_DATABASE_URL"),
        reason="needs PostgreSQL (GREENROOM_TEST_DATABASE_URL)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def servers(migrated: str) -> Iterator[list[int]]:
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": migrated,
        "GREENROOM_SECRETS": TEST_SECRETS,
        "GREENROOM_AUTH_CACHE_SECONDS": str(CACHE_SECONDS),
        "GREENROOM_RUN_WORKER": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.probe:create_probe_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


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
