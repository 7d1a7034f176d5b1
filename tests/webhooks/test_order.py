"""In order per user (issue 16, item 6; docs/webhooks.md, Order): deliveries to one endpoint go
out in the order they were queued for each user. A later event for a user waits until the
earlier one has succeeded or failed for good; other users' events do not wait. Both formats,
retries, several workers at once."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from greenroom.core import clock
from greenroom.core.db import Database
from greenroom.webhooks.models import WebhookDelivery
from greenroom.webhooks.worker import Worker
from tests.conftest import Partner
from tests.factories import make_org
from tests.webhooks.conftest import Received, Receiver, make_worker, publish
from tests.webhooks.test_delivery import MILLISECOND, deliveries, when

FORMATS = ["standard", "biginterview"]


def person(partner_id: str, first_name: str) -> dict[str, Any]:
    return {"first_name": first_name, "last_name": "Doe", "email": f"{partner_id}@xyz.example.com"}


def seen(request: Received) -> tuple[str, str, str]:
    """(partner_id, event type, first name) of a delivery, in either format."""
    body = request.body_json
    if "webhook" in body:
        envelope = body["webhook"]
        user = envelope["api_object"] or {}
        return envelope["partner_id"], envelope["event_name"], user.get("first_name", "")
    user = body["data"]["user"]
    return user["partner_id"], body["type"], user["first_name"]


async def endpoint(partner: Partner, receiver: Receiver, path: str, format: str) -> str:
    created = await partner.api.post(
        "/api/webhooks", json={"url": receiver.url(path), "format": format}
    )
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    receiver.secrets[path] = webhook["secret"]
    if webhook["verification_key"]:
        receiver.keys[path] = webhook["verification_key"]
    webhook_id: str = webhook["id"]
    return webhook_id


@pytest.mark.parametrize("format", FORMATS)
async def test_a_users_next_event_waits_for_the_retry_of_the_earlier(
    app, partner, receiver, format
) -> None:
    org, api = partner.org, partner.api
    webhook_id = await endpoint(partner, receiver, "/ordered", format)
    # Alice's first event fails once; her next two must wait for its retry. Bob's need not.
    assert (await api.post("/api/users/alice", json=person("alice", "Alice"))).status_code == 201
    receiver.statuses["/ordered"] = [500]
    worker = make_worker(app, org)
    await worker.run_until_idle()
    assert [seen(r)[:2] for r in receiver.at("/ordered")] == [("alice", "user.created")]
    await api.post("/api/users/alice", json={"first_name": "Alicia"})
    await api.post("/api/users/alice", json={"first_name": "Ally"})
    assert (await api.post("/api/users/bob", json=person("bob", "Bob"))).status_code == 201
    await worker.run_until_idle()
    assert [seen(r)[:2] for r in receiver.at("/ordered")] == [
        ("alice", "user.created"),  # the 500
        ("bob", "user.created"),  # not held up by Alice's queue
    ]
    pending = await deliveries(api, webhook_id)
    retry = next(d for d in pending if d["attempts"] == 1 and d["status"] == "pending")
    assert [d["status"] for d in pending].count("pending") == 3  # her retry and the two waiting

    clock.advance(when(retry["next_attempt_at"]) - clock.now() + MILLISECOND)
    await worker.run_until_idle()
    got = receiver.at("/ordered")
    assert [seen(r) for r in got[2:]] == [
        ("alice", "user.created", "Alice"),
        ("alice", "user.updated", "Alicia"),
        ("alice", "user.updated", "Ally"),
    ]
    assert all(r.status == 200 for r in got[1:])
    assert {d["status"] for d in await deliveries(api, webhook_id)} == {"succeeded"}


@pytest.mark.parametrize("format", FORMATS)
async def test_after_a_final_failure_the_next_event_goes(app, partner, receiver, format) -> None:
    org, api = partner.org, partner.api
    webhook_id = await endpoint(partner, receiver, "/gives-up", format)
    receiver.statuses["/gives-up"] = [500] * 100
    worker = make_worker(app, org, webhooks_retry_window_hours=0.02)  # 72 s of retries
    await api.post("/api/users/carol", json=person("carol", "Carol"))
    await worker.run_until_idle()
    # Queued later, the update still has retries left after the creation has failed for good.
    clock.advance(timedelta(seconds=20))
    await api.post("/api/users/carol", json={"first_name": "Caroline"})
    for _ in range(20):
        await worker.run_until_idle()
        log = await deliveries(api, webhook_id)
        first = next(d for d in log if d["event_type"] == "user.created")
        if first["status"] != "pending":
            break
        clock.advance(when(first["next_attempt_at"]) - clock.now() + MILLISECOND)
    assert first["status"] == "failed"
    kinds = [seen(r)[1] for r in receiver.at("/gives-up")]
    assert kinds.count("user.created") == first["attempts"] >= 2
    # The update was sent only after the creation had failed for good.
    assert "user.updated" in kinds
    assert kinds.index("user.updated") > max(i for i, k in enumerate(kinds) if k == "user.created")
    receiver.statuses["/gives-up"] = []
    update = next(d for d in await deliveries(api, webhook_id) if d["event_type"] == "user.updated")
    if update["status"] == "pending":
        clock.advance(when(update["next_attempt_at"]) - clock.now() + MILLISECOND)
        await worker.run_until_idle()
    last = receiver.at("/gives-up")[-1]
    assert seen(last) == ("carol", "user.updated", "Caroline") and last.status == 200


async def test_a_resend_waits_behind_the_users_pending_events(app, partner, receiver) -> None:
    org, api = partner.org, partner.api
    webhook_id = await endpoint(partner, receiver, "/resend", "standard")
    await api.post("/api/users/dave", json=person("dave", "Dave"))
    worker = make_worker(app, org)
    await worker.run_until_idle()
    [created] = await deliveries(api, webhook_id)
    receiver.statuses["/resend"] = [500]
    await api.post("/api/users/dave", json={"first_name": "David"})
    await worker.run_until_idle()  # the update fails once
    resent = await api.post(f"/api/webhooks/{webhook_id}/deliveries/{created['id']}/resend")
    assert resent.status_code == 202
    await worker.run_until_idle()
    assert len(receiver.at("/resend")) == 2  # the resend waits for the update's retry
    retry = next(d for d in await deliveries(api, webhook_id) if d["attempts"] == 1)
    clock.advance(when(retry["next_attempt_at"]) - clock.now() + MILLISECOND)
    await worker.run_until_idle()
    assert [seen(r)[1:] for r in receiver.at("/resend")] == [
        ("user.created", "Dave"),
        ("user.updated", "David"),  # 500
        ("user.updated", "David"),
        ("user.created", "Dave"),  # the resend, after
    ]


async def test_events_for_no_user_are_not_ordered(app, partner, receiver, db) -> None:
    """Deliveries without a user (none today; those queued before order per user existed) are
    in no queue: one failing holds nothing up."""
    org = partner.org
    await endpoint(partner, receiver, "/loose", "standard")
    receiver.statuses["/loose"] = [500]
    for n in range(2):
        await publish(app, org, "user.updated", {"user": {"email": f"{n}@xyz.example.com"}})
    await make_worker(app, org).run_until_idle()
    assert [r.status for r in receiver.at("/loose")] == [500, 200]
    keys = await db.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.org_id == org.id, WebhookDelivery.ordering_key.is_not(None))
    )
    assert keys == 0
    await db.rollback()


USERS = 6
EVENTS_PER_USER = 5


async def test_two_workers_keep_each_users_order_under_retries(
    app, settings, api_for, receiver
) -> None:
    """Two workers (two engines, as two processes) on two endpoints (one per format), every
    event failing its first attempt: each user's events still arrive in order, each once."""
    org = await make_org(app)
    api = await api_for(org)
    paths = {"/two-std": "standard", "/two-bi": "biginterview"}
    for path, format in paths.items():
        created = await api.post(
            "/api/webhooks", json={"url": receiver.url(path), "format": format}
        )
        webhook = created.json()["webhook"]
        receiver.secrets[path] = webhook["secret"]
        if webhook["verification_key"]:
            receiver.keys[path] = webhook["verification_key"]
        receiver.fail_first.add(path)
    for n in range(EVENTS_PER_USER):
        for u in range(USERS):
            body = person(f"user-{u}", f"v{n}") if n == 0 else {"first_name": f"v{n}"}
            response = await api.post(f"/api/users/user-{u}", json=body)
            assert response.status_code in (200, 201), response.text

    databases = [Database(settings.resolved_database_url) for _ in range(2)]
    small = settings.model_copy(update={"webhooks_worker_batch": 3})
    workers = [Worker(d.writer, small, org_ids=[org.id]) for d in databases]
    counts = [0, 0]
    try:
        for _ in range(100):
            sent = await asyncio.gather(*(w.run_until_idle() for w in workers))
            counts = [c + s for c, s in zip(counts, sent, strict=True)]
            if not sum(sent):
                break
            clock.advance(timedelta(seconds=7))  # every retry is due (5 s +- 25 %)
    finally:
        for database in databases:
            await database.dispose()

    for path in paths:
        got = receiver.at(path)
        assert all(r.verify_error is None for r in got)
        per_user: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for request in got:
            partner_id, _event, first_name = seen(request)
            per_user[partner_id].append((first_name, request.status))
        assert sorted(per_user) == [f"user-{u}" for u in range(USERS)]
        for partner_id, arrivals in per_user.items():
            # Each event: its failed first attempt, then its success, before the next event.
            expected = [(f"v{n}", status) for n in range(EVENTS_PER_USER) for status in (500, 200)]
            assert arrivals == expected, (path, partner_id, arrivals)
    assert sum(counts) == len(paths) * USERS * EVENTS_PER_USER * 2
