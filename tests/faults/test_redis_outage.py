"""Redis stopped and restarted under traffic: no 5xx while it is down or after it is back; rate
limits and the log-in throttle count in each process's memory meanwhile, and the logs, the
metrics and /readyz say so; a Redis restart between two requests costs nothing (the command is
retried once on a fresh connection)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from greenroom.core.settings import Settings
from greenroom.tenancy import service as orgs
from tests.auth.conftest import CHECK
from tests.factories import ADMIN_PASSWORD, make_admin, make_key, make_org
from tests.faults.conftest import client, running_app
from tests.faults.servers import RedisServer

pytestmark = pytest.mark.slow
WAIT_SECONDS = 15  # the longest any step may take; the whole test takes a few seconds


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"not within {WAIT_SECONDS} s: {what}"
        await asyncio.sleep(0.05)


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} is not in /metrics"
    return float(match.group(1))


class Traffic:
    """Authenticated calls in the background, every status kept."""

    def __init__(self, api: httpx.AsyncClient, key: str) -> None:
        self.api, self.key = api, key
        self.statuses: list[int] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _run(self) -> None:
        while not self._stop.is_set():
            response = await self.api.get(CHECK, headers={"Authorization": self.key})
            self.statuses.append(response.status_code)
            await asyncio.sleep(0.005)

    def start(self, workers: int = 3) -> None:
        self._tasks = [asyncio.create_task(self._run()) for _ in range(workers)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


async def test_redis_down_and_back_under_traffic(
    app: FastAPI, settings: Settings, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="greenroom.ratelimit")
    org = await make_org(app)
    admin = await make_admin(app, org)
    busy_key, limited_key = await make_key(app, org), await make_key(app, org)
    async with app.state.sessionmaker() as session, session.begin():
        await orgs.update_org(
            session, org.slug, key_rate_limit_per_minute=200, rate_limit_per_minute=100_000
        )

    async with running_app(settings, redis_url=redis_server.url) as served:
        api = client(served, settings, org.slug)
        ops = client(served, settings, "ops")
        traffic = Traffic(api, busy_key)
        traffic.start()
        try:
            await eventually(lambda: _answered(traffic, 20), "traffic flows")
            ready = (await ops.get("/readyz")).json()
            assert ready == {"status": "ready", "redis": "ok"}
            assert metric((await ops.get("/metrics")).text, "greenroom_redis_up") == 1

            redis_server.stop()
            seen = len(traffic.statuses)

            async def counting_in_memory() -> bool:
                text = (await ops.get("/metrics")).text
                return metric(text, "greenroom_redis_up") == 0 and len(traffic.statuses) > seen

            await eventually(counting_in_memory, "the process notices that Redis is down")
            await eventually(lambda: _answered(traffic, seen + 30), "traffic goes on")
            text = (await ops.get("/metrics")).text
            assert metric(text, "greenroom_ratelimit_fallback_total") > 0
            assert metric(text, "greenroom_redis_errors_total") >= 1
            degraded = await ops.get("/readyz")
            assert degraded.status_code == 200
            assert degraded.json() == {"status": "degraded", "redis": "unreachable"}
            assert any("redis unreachable" in r.getMessage() for r in caplog.records)

            # Limits still hold, in this process's memory: the key's budget of 200 a minute
            # (the busy key's are spent by the traffic; this key is fresh).
            statuses = [
                (await api.get(CHECK, headers={"Authorization": limited_key})).status_code
                for _ in range(201)
            ]
            assert statuses == [200] * 200 + [429]
            # So does the log-in throttle: 5 failures, then 429 even with the right password.
            async with client(served, settings, org.slug, "10.77.0.1") as c:
                body = {"email": admin.email, "password": "wrong, wrong, wrong"}
                tries = [
                    (await c.post("/api/auth/token", headers={"X-API-Key": busy_key}, json=body))
                    for _ in range(5)
                ]
                assert [r.status_code for r in tries] == [401] * 5
                body["password"] = ADMIN_PASSWORD
                right = await c.post("/api/auth/token", headers={"X-API-Key": busy_key}, json=body)
                assert right.status_code == 429

            redis_server.start()
            back_at = len(traffic.statuses)

            async def shared_again() -> bool:
                text = (await ops.get("/metrics")).text
                return metric(text, "greenroom_redis_up") == 1

            await eventually(shared_again, "the process goes back to Redis")
            assert any("redis reachable again" in r.getMessage() for r in caplog.records)
            await eventually(lambda: _answered(traffic, back_at + 50), "traffic goes on")
            assert (await ops.get("/readyz")).json() == {"status": "ready", "redis": "ok"}
        finally:
            await traffic.stop()
            await api.aclose()
            await ops.aclose()
    # Never a 5xx: before, during and after the outage. (429s are the traffic's own budget.)
    assert set(traffic.statuses) <= {200, 429}, sorted(set(traffic.statuses))
    assert traffic.statuses.count(200) > 100


async def _answered(traffic: Traffic, count: int) -> bool:
    return len(traffic.statuses) >= count


async def test_a_redis_restart_between_requests_is_retried_on_a_fresh_connection(
    app: FastAPI, settings: Settings, redis_server: RedisServer
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    async with running_app(settings, redis_url=redis_server.url) as served:
        async with client(served, settings, org.slug) as api, client(served, settings, "x") as ops:
            # Several pooled connections, all used once.
            first = await asyncio.gather(
                *(api.get(CHECK, headers={"Authorization": key}) for _ in range(8))
            )
            assert {r.status_code for r in first} == {200}
            redis_server.stop()
            redis_server.start()  # every pooled connection is now a dead socket
            after = await asyncio.gather(
                *(api.get(CHECK, headers={"Authorization": key}) for _ in range(20))
            )
            assert {r.status_code for r in after} == {200}
            text = (await ops.get("/metrics")).text
            # Not one failure reached the store, and nothing was decided in memory.
            assert metric(text, "greenroom_redis_errors_total") == 0
            assert metric(text, "greenroom_ratelimit_fallback_total") == 0
            assert metric(text, "greenroom_redis_up") == 1
