"""Several workers at once, and the worker inside the server."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import httpx
from asgi_lifespan import LifespanManager

from greenroom.app import create_app
from greenroom.core.db import Database
from greenroom.webhooks.worker import Worker
from tests.factories import make_key, make_org
from tests.webhooks.conftest import publish, user_data

EVENTS = 60
PATHS = ("/a", "/b")


async def test_two_workers_send_each_delivery_exactly_once(
    app, settings, api_for, receiver
) -> None:
    org = await make_org(app)
    client = await api_for(org)
    for path in PATHS:
        created = (await client.post("/api/webhooks", json={"url": receiver.url(path)})).json()
        receiver.secrets[path] = created["webhook"]["secret"]
    for i in range(EVENTS):
        await publish(app, org, "user.created", user_data(f"user-{i}"))

    # Two workers as two processes would be: each with its own engine and connections.
    databases = [Database(settings.resolved_database_url) for _ in range(2)]
    small_batches = settings.model_copy(update={"webhooks_worker_batch": 4})
    workers = [Worker(d.writer, small_batches, org_ids=[org.id]) for d in databases]
    try:
        counts = await asyncio.gather(*(w.run_until_idle() for w in workers))
    finally:
        for database in databases:
            await database.dispose()

    sent = Counter((r.path, r.webhook_id) for r in receiver.requests)
    assert len(sent) == EVENTS * len(PATHS)
    assert set(sent.values()) == {1}, "a delivery was POSTed twice"
    assert all(r.verify_error is None for r in receiver.requests)
    assert sum(counts) == EVENTS * len(PATHS)
    assert all(count > 0 for count in counts), counts  # both took part
    log = await client.get(
        f"/api/webhooks/{created['webhook']['id']}/deliveries",
        params={"status": "succeeded", "limit": 200},
    )
    assert len(log.json()["deliveries"]) == EVENTS


async def test_the_server_runs_a_worker_when_asked(
    settings, migrated, receiver, client_for
) -> None:
    served = create_app(
        settings.model_copy(update={"run_worker": True, "webhooks_worker_poll_seconds": 0.05}),
        configure_logs=False,
    )
    async with LifespanManager(served):
        org = await make_org(served)
        key = await make_key(served, org)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=served),
            base_url=f"http://{org.slug}.{settings.base_domain}",
            headers={"Authorization": key},
        ) as client:
            created = (
                await client.post("/api/webhooks", json={"url": receiver.url("/served")})
            ).json()
        receiver.secrets["/served"] = created["webhook"]["secret"]
        await publish(served, org, "user.created", user_data())
        # The background worker delivers it on its own; wait for the receiver (bounded).
        assert await asyncio.to_thread(receiver.wait_for, "/served", 20)
    # Shutting down let the worker finish its cycle: the attempt is recorded and counted.
    [got] = receiver.at("/served")
    assert got.verify_error is None and got.payload["type"] == "user.created"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://127.0.0.1"
    ) as ops:
        metrics = (await ops.get("/metrics")).text
    # (>= 1: this worker is not limited to the test's org and may send other tests' leftovers.)
    counted = re.search(r'greenroom_webhook_attempts_total\{outcome="succeeded"\} (\S+)', metrics)
    assert counted is not None and float(counted.group(1)) >= 1
