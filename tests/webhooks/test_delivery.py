"""Deliveries to a real receiver, verified by the `standardwebhooks` library."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text
from standardwebhooks import Webhook, WebhookVerificationError

from greenroom.core import clock, events
from greenroom.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from greenroom.webhooks.service import _event_body
from tests.conftest import Partner
from tests.factories import make_org
from tests.webhooks.conftest import Receiver, make_worker, publish, tenant_of, user_data


@pytest.fixture
async def webhook_id(partner: Partner, receiver: Receiver) -> str:
    """A production endpoint of `partner` on the receiver at /hook; its id."""
    created = (await partner.api.post("/api/webhooks", json={"url": receiver.url("/hook")})).json()
    receiver.secrets["/hook"] = created["webhook"]["secret"]
    webhook_id: str = created["webhook"]["id"]
    return webhook_id


async def deliveries(client: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}

# Times in the API are cut to the millisecond: wait one more to be past the stored instant.
MILLISECOND = timedelta(milliseconds=1)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _rows_of(db, model, org) -> int:
    """How many rows of `model` the org has."""
    found = await db.scalar(select(func.count()).select_from(model).where(model.org_id == org.id))
    return int(found)


async def test_an_event_is_delivered_signed_and_logged(app, partner, webhook_id, receiver) -> None:
    org, client = partner.org, partner.api
    await publish(app, org, "user.created", user_data())
    assert await make_worker(app, org).run_until_idle() == 1

    [got] = receiver.at("/hook")
    assert got.verify_error is None
    assert got.payload["type"] == "user.created"
    assert got.payload["data"] == user_data()
    assert when(got.payload["timestamp"])
    assert got.webhook_id.startswith("msg_")
    assert got.headers["content-type"] == "application/json"

    [delivery] = await deliveries(client, webhook_id)
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 1
    assert delivery["response_status"] == 200
    assert delivery["response_ms"] is not None
    assert delivery["response_excerpt"] == '{"ok": true}'
    assert delivery["message_id"] == got.webhook_id
    assert delivery["event_type"] == "user.created"
    one = await client.get(f"/api/webhooks/{webhook_id}/deliveries/{delivery['id']}")
    assert one.json()["delivery"]["id"] == delivery["id"]
    # Nothing is sent twice.
    assert await make_worker(app, org).run_until_idle() == 0


async def test_the_event_carries_the_user_as_the_api_answers_it(
    app, partner, webhook_id, receiver
) -> None:
    # The outbox body is written by orjson (UTF-8 as it is, where `json` escaped to ASCII).
    metadata = {"cohort": "automne \u00e9t\u00e9 \u2603", "max": 2**63 - 1, "nested": [1.5, None]}
    body = {"first_name": "Zo\u00eb", "last_name": "\u738b", "email": "zoe@xyz.example.com"}
    for partner_id, extra in (("plain", {}), ("wide", {"metadata": metadata})):
        created = await partner.api.post(f"/api/users/{partner_id}", json={**body, **extra})
        assert created.status_code == 201
        user = created.json()["user"]
        del user["token"]
        await make_worker(app, partner.org).run_until_idle()
        got = receiver.at("/hook")[-1]
        assert got.verify_error is None
        assert got.payload["data"] == {"user": user}
        assert (await partner.api.get(f"/api/users/{partner_id}")).json()["user"] == user


def test_an_event_body_orjson_refuses_is_written_by_json() -> None:
    # No API input reaches this (metadata is checked first), but an event's data is whatever
    # its publisher built: the outbox must never fail a change for its JSON.
    event = {"type": "user.updated", "data": {"n": 2**70, "s": "\ud800", 5: "five"}}
    body = _event_body(event)
    assert body.isascii()
    assert json.loads(body) == {
        "type": "user.updated",
        "data": {"n": 2**70, "s": "\ud800", "5": "five"},
    }


async def test_only_subscribed_event_types_are_queued(app, api_for, receiver) -> None:
    org = await make_org(app)
    client = await api_for(org)
    await client.post(
        "/api/webhooks", json={"url": receiver.url("/progress"), "events": ["progress.updated"]}
    )
    await publish(app, org, "user.created", user_data())
    await publish(app, org, "progress.updated", {"progress": {"partner_id": "abc123def"}})
    await make_worker(app, org).run_until_idle()
    assert [r.body.count(b"progress.updated") for r in receiver.at("/progress")] == [1]


async def test_a_create_queues_one_delivery_per_endpoint_that_wants_it(
    app, api_for, receiver, db
) -> None:
    # The deliveries are written by one INSERT ... SELECT from the endpoints, their ids made by
    # the database (webhooks.repository.insert_event): each wanting endpoint gets its own row.
    org = await make_org(app)
    client = await api_for(org)
    wanted = {}
    for path, events_wanted in (("/all", None), ("/created", ["user.created"])):
        body = {"url": receiver.url(path), **({"events": events_wanted} if events_wanted else {})}
        wanted[path] = (await client.post("/api/webhooks", json=body)).json()["webhook"]["id"]
    await client.post(
        "/api/webhooks", json={"url": receiver.url("/progress"), "events": ["progress.updated"]}
    )
    off = (await client.post("/api/webhooks", json={"url": receiver.url("/off")})).json()
    await client.post(f"/api/webhooks/{off['webhook']['id']}", json={"enabled": False})

    assert (await client.post("/api/users/fan-out", json=JANE)).status_code == 201

    rows = (
        await db.execute(
            select(
                WebhookDelivery.endpoint_id, WebhookDelivery.id, WebhookDelivery.ordering_seq
            ).where(WebhookDelivery.org_id == org.id)
        )
    ).all()
    assert sorted(str(row.endpoint_id) for row in rows) == sorted(wanted.values())
    ids = [row.id for row in rows]
    assert (
        len(set(ids)) == 2
        and {i.version for i in ids} == {7}
        and {i.variant for i in ids} == {uuid.RFC_4122}
    )
    assert [row.ordering_seq for row in rows] == [1, 1]  # the head of each endpoint's queue
    assert await _rows_of(db, WebhookMessage, org) == 1


async def test_an_event_s_message_and_deliveries_are_one_statement_in_an_orm_session(
    app, partner, webhook_id, db
) -> None:
    # Services that change data through an ORM session publish there too. Were the message and
    # its deliveries two statements, an endpoint made or changed between them on PostgreSQL
    # would get a delivery of a message that was never written: a foreign-key error that undoes
    # the change. One statement sees the endpoints as one; its rows share their `cmin`.
    await publish(app, partner.org, "user.created", user_data("one-statement"))
    [delivery] = (
        await db.execute(
            select(WebhookDelivery.id, WebhookDelivery.message_id).where(
                WebhookDelivery.org_id == partner.org.id
            )
        )
    ).all()
    if app.state.database.is_sqlite:
        return  # SQLite's writers take turns: nothing changes between its statements
    statements = (
        await db.execute(
            text(
                "SELECT m.cmin, d.cmin FROM webhook_messages m, webhook_deliveries d"
                " WHERE m.id = :message AND d.id = :delivery"
            ),
            {"message": delivery.message_id, "delivery": delivery.id},
        )
    ).one()
    assert statements[0] == statements[1]


async def test_no_message_is_written_when_no_endpoint_wants_the_event(app, api_for, db) -> None:
    org = await make_org(app)
    client = await api_for(org)
    assert (await client.post("/api/users/unheard", json=JANE)).status_code == 201
    for model in (WebhookMessage, WebhookDelivery):
        assert await _rows_of(db, model, org) == 0, model


async def test_events_of_a_rolled_back_change_are_never_queued(
    app, partner, webhook_id, db
) -> None:
    org = partner.org
    async with app.state.sessionmaker() as session:
        await session.begin()
        await events.publish(session, tenant_of(org), "user.created", user_data())
        await session.rollback()
    assert await _rows_of(db, WebhookDelivery, org) == 0


async def test_a_500_is_retried_with_backoff_and_the_same_webhook_id(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    receiver.statuses["/hook"] = [500]
    receiver.bodies["/hook"] = b"x" * 5000
    await publish(app, org, "user.updated", user_data())
    worker = make_worker(app, org)
    assert await worker.run_until_idle() == 1

    [delivery] = await deliveries(client, webhook_id)
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["response_status"] == 500
    assert len(delivery["response_excerpt"].encode()) <= 1024
    wait = when(delivery["next_attempt_at"]) - when(delivery["last_attempt_at"])
    assert timedelta(seconds=3) <= wait <= timedelta(seconds=7)  # 5 s +- 25 % jitter
    assert await worker.run_until_idle() == 0  # not due yet

    clock.advance(when(delivery["next_attempt_at"]) - clock.now() + MILLISECOND)
    assert await worker.run_until_idle() == 1
    first, second = receiver.at("/hook")
    assert first.webhook_id == second.webhook_id
    assert first.verify_error is None and second.verify_error is None
    [delivery] = await deliveries(client, webhook_id)
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    detail = (await client.get(f"/api/webhooks/{webhook_id}/deliveries/{delivery['id']}")).json()
    log = detail["delivery"]["attempt_log"]
    assert [(a["number"], a["succeeded"], a["response_status"]) for a in log] == [
        (1, False, 500),
        (2, True, 200),
    ]
    assert log[0]["error"] == "HTTP 500." and len(log[0]["response_excerpt"]) == 1024
    assert (await client.get(f"/api/webhooks/{webhook_id}")).json()["webhook"][
        "failing_since"
    ] is None


async def test_a_receiver_that_does_not_answer_times_out(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    receiver.held_paths.add("/hook")
    await publish(app, org, "user.created", user_data())
    await make_worker(app, org, webhooks_timeout_seconds=0.3).run_until_idle()
    [delivery] = await deliveries(client, webhook_id)
    assert delivery["status"] == "pending"
    assert delivery["error"] == "Timed out."
    assert delivery["response_status"] is None


async def test_redirects_are_not_followed(app, partner, webhook_id, receiver) -> None:
    org, client = partner.org, partner.api
    receiver.redirects.add("/hook")
    await publish(app, org, "user.created", user_data())
    await make_worker(app, org).run_until_idle()
    assert [r.path for r in receiver.requests] == ["/hook"]
    [delivery] = await deliveries(client, webhook_id)
    assert delivery["response_status"] == 302 and delivery["status"] == "pending"
    assert "redirect" in delivery["error"]


async def test_an_endpoint_failing_for_24_hours_is_disabled(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    receiver.statuses["/hook"] = [500] * 1000
    await publish(app, org, "user.created", user_data())
    worker = make_worker(app, org)
    start = clock.now()
    for _ in range(200):
        await worker.run_until_idle()
        [delivery] = await deliveries(client, webhook_id)
        if delivery["status"] != "pending":
            break
        clock.advance(when(delivery["next_attempt_at"]) - clock.now() + MILLISECOND)
    assert delivery["status"] == "failed"
    assert 10 <= delivery["attempts"] <= 60
    # Retried for the whole window, then given up.
    assert when(delivery["last_attempt_at"]) - start >= timedelta(hours=24)
    webhook = (await client.get(f"/api/webhooks/{webhook_id}")).json()["webhook"]
    assert webhook["enabled"] is False
    assert webhook["disabled_reason"] == "failing"
    assert webhook["disabled_at"] and webhook["failing_since"]
    assert webhook["last_error"] == "HTTP 500."

    # Disabled: new events are not queued for it, and resend is refused.
    await publish(app, org, "user.updated", user_data())
    assert len(await deliveries(client, webhook_id)) == 1
    resend = await client.post(f"/api/webhooks/{webhook_id}/deliveries/{delivery['id']}/resend")
    assert resend.status_code == 409 and resend.json()["code"] == "webhook_disabled"

    # Enabled again: the state is cleared and deliveries flow.
    receiver.statuses["/hook"] = []
    enabled = (await client.post(f"/api/webhooks/{webhook_id}", json={"enabled": True})).json()
    assert enabled["webhook"]["failing_since"] is None
    assert enabled["webhook"]["disabled_reason"] is None
    await publish(app, org, "user.deleted", user_data())
    await worker.run_until_idle()
    # (Not verified: the clock was moved a day ahead, beyond the receiver's 5-minute tolerance.)
    assert json.loads(receiver.at("/hook")[-1].body)["type"] == "user.deleted"


async def test_a_success_in_between_resets_the_failure_streak(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    receiver.statuses["/hook"] = [500, 200, 500]
    await publish(app, org, "user.created", user_data("a"))
    worker = make_worker(app, org)
    await worker.run_until_idle()
    assert (await client.get(f"/api/webhooks/{webhook_id}")).json()["webhook"]["failing_since"]
    await publish(app, org, "user.created", user_data("b"))
    clock.advance(timedelta(seconds=10))
    await worker.run_until_idle()
    webhook = (await client.get(f"/api/webhooks/{webhook_id}")).json()["webhook"]
    assert webhook["enabled"] is True


async def test_resend_sends_the_same_message_again(app, partner, webhook_id, receiver) -> None:
    org, client = partner.org, partner.api
    await publish(app, org, "user.created", user_data())
    worker = make_worker(app, org)
    await worker.run_until_idle()
    [original] = await deliveries(client, webhook_id)
    response = await client.post(f"/api/webhooks/{webhook_id}/deliveries/{original['id']}/resend")
    assert response.status_code == 202, response.text
    resent = response.json()["delivery"]
    assert resent["status"] == "pending" and resent["resend_of"] == original["id"]
    assert await worker.run_until_idle() == 1
    first, second = receiver.at("/hook")
    assert second.verify_error is None
    assert second.webhook_id == first.webhook_id and second.body == first.body
    log = await deliveries(client, webhook_id)
    assert [d["status"] for d in log] == ["succeeded", "succeeded"]
    assert log[0]["id"] == resent["id"]
    missing = await client.post(
        f"/api/webhooks/{webhook_id}/deliveries/00000000-0000-4000-8000-000000000000/resend"
    )
    assert missing.status_code == 404


async def test_after_rotation_only_the_new_secret_verifies(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    old_secret = receiver.secrets["/hook"]
    await publish(app, org, "user.created", user_data("before"))
    worker = make_worker(app, org)
    await worker.run_until_idle()
    new_secret = (await client.post(f"/api/webhooks/{webhook_id}/rotate-secret")).json()["secret"]
    receiver.secrets["/hook"] = new_secret
    await publish(app, org, "user.updated", user_data("after"))
    await worker.run_until_idle()
    before, after = receiver.at("/hook")
    assert before.verify_error is None and after.verify_error is None
    assert after.payload["data"]["user"]["partner_id"] == "after"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret).verify(before.body, before.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)


async def test_events_reach_only_their_own_org_and_environment(app, api_for, receiver) -> None:
    org, other = await make_org(app), await make_org(app)
    targets = {
        "/org-prod": (org, "production"),
        "/org-sandbox": (org, "sandbox"),
        "/other-prod": (other, "production"),
    }
    for path, (owner, environment) in targets.items():
        client = await api_for(owner, environment)
        created = (await client.post("/api/webhooks", json={"url": receiver.url(path)})).json()
        assert created["webhook"]["environment"] == environment
        receiver.secrets[path] = created["webhook"]["secret"]
    await publish(app, org, "user.created", user_data("prod-user"))
    await publish(app, org, "user.created", user_data("sandbox-user"), environment="sandbox")
    await make_worker(app, org, other).run_until_idle()
    seen = {
        path: [r.payload["data"]["user"]["partner_id"] for r in receiver.at(path)]
        for path in targets
    }
    assert seen == {"/org-prod": ["prod-user"], "/org-sandbox": ["sandbox-user"], "/other-prod": []}


async def test_a_disabled_endpoints_queue_waits_until_it_is_enabled(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    await publish(app, org, "user.created", user_data())
    await client.post(f"/api/webhooks/{webhook_id}", json={"enabled": False})
    assert await make_worker(app, org).run_until_idle() == 0
    await client.post(f"/api/webhooks/{webhook_id}", json={"enabled": True})
    assert await make_worker(app, org).run_until_idle() == 1
    assert len(receiver.at("/hook")) == 1


async def test_a_lease_left_by_a_dead_worker_expires_and_the_delivery_is_sent(
    app, partner, webhook_id, receiver
) -> None:
    org = partner.org
    await publish(app, org, "user.created", user_data())
    dead = make_worker(app, org)
    assert len(await dead._claim()) == 1  # claimed, then the process "dies"
    other = make_worker(app, org)
    assert await other.run_until_idle() == 0  # leased to the dead worker
    clock.advance(other.lease + timedelta(seconds=1))
    assert await other.run_until_idle() == 1
    assert len(receiver.at("/hook")) == 1


async def test_finished_deliveries_are_purged_after_the_retention_period(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    # Another user's: a user's own `user.deleted` clears their finished deliveries at once
    # (erasure, tests/privacy), which is not what this test is about.
    await publish(app, org, "user.created", user_data("someone-else"))
    worker = make_worker(app, org)
    await worker.run_until_idle()
    await client.post(f"/api/webhooks/{webhook_id}", json={"enabled": False})
    await publish(app, org, "user.updated", user_data())  # not queued: disabled
    await client.post(f"/api/webhooks/{webhook_id}", json={"enabled": True})
    await publish(app, org, "user.deleted", user_data())
    await client.post(f"/api/webhooks/{webhook_id}", json={"enabled": False})  # stays pending
    assert await worker.purge() == 0
    clock.advance(timedelta(days=30, seconds=1))
    assert await worker.purge() == 1
    assert [d["event_type"] for d in await deliveries(client, webhook_id)] == ["user.deleted"]


async def test_signing_secrets_survive_a_server_secret_rotation(
    app, partner, webhook_id, receiver, db
) -> None:
    org = partner.org
    old = app.state.settings.secrets.get_secret_value()
    rotated = SecretStr(f"t2:second-secret-0123456789abcdef0123456789,{old}")
    await publish(app, org, "user.created", user_data("one"))
    await make_worker(app, org, secrets=rotated).run_until_idle()
    row = await db.get(WebhookEndpoint, uuid.UUID(webhook_id))
    assert row.secret_version == "t2"  # re-encrypted under the newest server secret
    await db.rollback()  # end the read (SQLite: let the writers in)
    # The old server secret can now go.
    await publish(app, org, "user.created", user_data("two"))
    only_new = SecretStr("t2:second-secret-0123456789abcdef0123456789")
    await make_worker(app, org, secrets=only_new).run_until_idle()
    assert [r.verify_error for r in receiver.at("/hook")] == [None, None]


async def test_odd_characters_in_event_data_are_delivered_intact(
    app, partner, webhook_id, receiver
) -> None:
    org = partner.org
    data = {"user": {"partner_id": "abc123def", "first_name": "Zoë \u0000 😀 \ud800"}}
    await publish(app, org, "user.updated", data)
    await make_worker(app, org).run_until_idle()
    [got] = receiver.at("/hook")
    assert got.verify_error is None
    assert got.payload["data"] == data


async def test_a_users_deletion_clears_their_finished_deliveries_and_keeps_user_deleted(
    app, partner, webhook_id, receiver
) -> None:
    org, client = partner.org, partner.api
    await publish(app, org, "user.created", user_data())
    await publish(app, org, "user.created", user_data("someone-else"))
    worker = make_worker(app, org)
    await worker.run_until_idle()
    await publish(app, org, "user.updated", user_data())  # pending when the deletion comes
    await publish(app, org, "user.deleted", user_data())
    pending = [d["event_type"] for d in await deliveries(client, webhook_id)]
    assert sorted(pending) == ["user.created", "user.deleted", "user.updated"]  # the other's
    await worker.run_until_idle()
    # Sent in order, then only the announcement of the deletion stays in the log.
    assert [r.body_json["type"] for r in receiver.at("/hook")][-2:] == [
        "user.updated",
        "user.deleted",
    ]
    left = {(d["event_type"], d["status"]) for d in await deliveries(client, webhook_id)}
    assert left == {("user.created", "succeeded"), ("user.deleted", "succeeded")}
