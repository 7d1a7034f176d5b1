"""Fair delivery (issue 19, item 5): per-endpoint concurrency across workers, round-robin across
orgs, a cap on endpoints per org; and a worker that records its outcomes even when an endpoint
is deleted mid-send (item 4)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from greenroom.core import clock
from greenroom.tenancy.models import Organization
from greenroom.webhooks import service
from greenroom.webhooks.models import WebhookAttempt, WebhookDelivery
from greenroom.webhooks.repository import Busy
from greenroom.webhooks.worker import allocate
from tests.factories import make_org
from tests.webhooks.conftest import Receiver, make_worker, publish, tenant_of, user_data

PUBLIC_URL = "https://93.184.215.14/hooks"


async def endpoint(
    app: FastAPI, org: Organization, url: str, environment: str = "production"
) -> uuid.UUID:
    async with app.state.sessionmaker() as session, session.begin():
        created = await service.create_endpoint(
            session, tenant_of(org, environment), settings=app.state.settings, url=url
        )
        return created.endpoint.id


async def leased_per_endpoint(app: FastAPI, org: Organization) -> dict[uuid.UUID, int]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(WebhookDelivery.endpoint_id, func.count())
            .where(WebhookDelivery.org_id == org.id, WebhookDelivery.locked_until >= clock.now())
            .group_by(WebhookDelivery.endpoint_id)
        )
        return {endpoint_id: count for endpoint_id, count in rows.all()}


def busy(org: int, endpoint: int, in_flight: int = 0) -> Busy:
    return Busy(uuid.UUID(int=1000 + endpoint), uuid.UUID(int=org), in_flight)


def test_slots_go_round_robin_across_orgs_then_endpoints() -> None:
    noisy = [busy(1, e) for e in range(5)]
    quiet = [busy(2, 99)]
    shares = allocate([*noisy, *quiet], capacity=4, per_endpoint=2)
    # The quiet org's endpoint is served in the first turn, before the noisy org's second.
    assert [e for e, _ in shares][:2] == [noisy[0].endpoint_id, quiet[0].endpoint_id]
    assert dict(shares) == {
        noisy[0].endpoint_id: 1,
        quiet[0].endpoint_id: 2,
        noisy[1].endpoint_id: 1,
    }
    # Next claim starts after the org served first: the quiet org leads.
    again = allocate([*noisy, *quiet], capacity=1, per_endpoint=2, after_org=uuid.UUID(int=1))
    assert again == [(quiet[0].endpoint_id, 1)]


def test_an_endpoint_never_gets_more_than_its_limit_in_flight() -> None:
    shares = allocate(
        [busy(1, 1, in_flight=1), busy(1, 2, in_flight=3)], capacity=10, per_endpoint=3
    )
    assert shares == [(uuid.UUID(int=1001), 2)]
    assert allocate([busy(1, 1, in_flight=3)], capacity=10, per_endpoint=3) == []


def test_an_org_leaves_room_in_the_worker_for_the_others() -> None:
    noisy = [busy(1, e) for e in range(20)]
    full = allocate(
        noisy, capacity=10, per_endpoint=4, per_org=45, org_in_flight={uuid.UUID(int=1): 40}
    )
    assert sum(n for _, n in full) == 5  # up to its share, not the worker's free slots
    assert (
        allocate(
            noisy, capacity=5, per_endpoint=4, per_org=45, org_in_flight={uuid.UUID(int=1): 45}
        )
        == []
    )
    # The slots it leaves go to an org that has nothing in flight.
    late = allocate(
        [*noisy, busy(2, 99)],
        capacity=5,
        per_endpoint=4,
        per_org=45,
        org_in_flight={uuid.UUID(int=1): 45},
    )
    assert late == [(uuid.UUID(int=1099), 4)]


async def test_a_quiet_orgs_delivery_is_claimed_first_despite_a_noisy_backlog(
    app, receiver: Receiver
) -> None:
    noisy, quiet = await make_org(app), await make_org(app)
    noisy_endpoints = [await endpoint(app, noisy, receiver.url(f"/noisy/{i}")) for i in range(5)]
    quiet_endpoint = await endpoint(app, quiet, receiver.url("/quiet"))
    for i in range(40):  # an older backlog: the old worker took the oldest due rows first
        await publish(app, noisy, "user.updated", user_data(f"n{i}"))
    await publish(app, quiet, "user.created", user_data("q"))
    worker = make_worker(
        app,
        noisy,
        quiet,
        webhooks_worker_batch=4,
        webhooks_worker_concurrency=4,
        webhooks_endpoint_concurrency=2,
    )
    claimed = await worker._claim()
    assert len(claimed) == 4
    assert quiet_endpoint in [s.endpoint_id for s in claimed]
    per_endpoint = await leased_per_endpoint(app, noisy)
    assert max(per_endpoint.values()) <= 2 and set(per_endpoint) <= set(noisy_endpoints)


async def test_the_per_endpoint_limit_holds_across_workers(app, settings, receiver) -> None:
    from greenroom.core.db import Database
    from greenroom.webhooks.worker import Worker

    org = await make_org(app)
    hook = await endpoint(app, org, receiver.url("/one"))
    for i in range(10):
        await publish(app, org, "user.updated", user_data(f"u{i}"))
    limited = settings.model_copy(
        update={"webhooks_endpoint_concurrency": 3, "webhooks_worker_batch": 10}
    )
    databases = [Database(settings.resolved_database_url) for _ in range(2)]
    try:
        workers = [Worker(d.writer, limited, org_ids=[org.id]) for d in databases]
        claims = await asyncio.gather(*(w._claim() for w in workers))
    finally:
        for database in databases:
            await database.dispose()
    assert sorted(len(c) for c in claims) == [0, 3]
    assert await leased_per_endpoint(app, org) == {hook: 3}


async def test_an_org_may_have_at_most_the_configured_number_of_endpoints(
    app, partner, api_for
) -> None:
    cap = app.state.settings.webhooks_max_endpoints_per_org
    sandbox = await api_for(partner.org, "sandbox")
    # Production and sandbox together.
    first = (await sandbox.post("/api/webhooks", json={"url": PUBLIC_URL})).json()["webhook"]
    for _ in range(cap - 1):
        created = await partner.api.post("/api/webhooks", json={"url": PUBLIC_URL})
        assert created.status_code == 201, created.text
    refused = await partner.api.post("/api/webhooks", json={"url": PUBLIC_URL})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "too_many_webhook_endpoints"
    assert f"already has {cap} webhook endpoints" in problem["detail"]
    assert (await sandbox.post("/api/webhooks", json={"url": PUBLIC_URL})).status_code == 422
    # Deleting one makes room again.
    assert (await sandbox.delete(f"/api/webhooks/{first['id']}")).status_code == 204
    assert (await partner.api.post("/api/webhooks", json={"url": PUBLIC_URL})).status_code == 201


async def test_an_endpoint_deleted_mid_send_leaves_the_rest_of_the_batch_recorded(
    app, partner, receiver: Receiver, caplog: Any
) -> None:
    org, client = partner.org, partner.api
    doomed = (await client.post("/api/webhooks", json={"url": receiver.url("/doomed")})).json()
    kept = (await client.post("/api/webhooks", json={"url": receiver.url("/kept")})).json()
    receiver.held_paths.add("/doomed")
    await publish(app, org, "user.created", user_data())
    worker = make_worker(app, org)
    sending = asyncio.create_task(worker.run_once())
    assert await asyncio.to_thread(receiver.wait_for, "/doomed", 30)
    # Deleted while its delivery is on the wire: no lock to wait for, no error.
    deleted = await client.delete(f"/api/webhooks/{doomed['webhook']['id']}")
    assert deleted.status_code == 204
    receiver.hold.set()
    assert await asyncio.wait_for(sending, 60) == 2
    assert "recording a webhook attempt failed" not in caplog.text
    # The other endpoint's outcome is recorded; the deleted one's delivery is simply gone.
    log = (await client.get(f"/api/webhooks/{kept['webhook']['id']}/deliveries")).json()
    assert [d["status"] for d in log["deliveries"]] == ["succeeded"]
    async with app.state.sessionmaker() as session:
        gone = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == uuid.UUID(doomed["webhook"]["id"]))
        )
        attempts = await session.scalar(
            select(func.count())
            .select_from(WebhookAttempt)
            .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
            .where(WebhookDelivery.org_id == org.id)
        )
    assert gone == 0 and attempts == 1


async def test_recording_waits_for_a_delete_in_progress_and_then_finds_nothing(
    app, partner, receiver: Receiver
) -> None:
    """The race of issue 19 item 4 on PostgreSQL: the endpoint is being deleted (its transaction
    still open) when the worker records the outcome. Recording waits for the delete and then has
    nothing to record; it used to insert an attempt for the vanished delivery (a foreign-key
    error that failed the worker's cycle)."""
    from greenroom.webhooks.worker import Outcome

    org = partner.org
    hook = await endpoint(app, org, receiver.url("/racy"))
    await publish(app, org, "user.created", user_data())
    worker = make_worker(app, org)
    [send] = await worker._claim()
    async with app.state.sessionmaker() as deleting:
        await deleting.begin()
        await service.delete_endpoint(deleting, tenant_of(org), hook)
        recording = asyncio.create_task(worker._record(send, Outcome(True, status=200)))
        await asyncio.sleep(0.2)  # (lets it reach the lock; the outcome does not depend on it)
        assert not recording.done()
        await deleting.commit()
    await asyncio.wait_for(recording, 60)  # no IntegrityError
    async with app.state.sessionmaker() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.org_id == org.id)
        )
    assert left == 0
