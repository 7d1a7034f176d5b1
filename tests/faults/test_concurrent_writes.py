"""Writes racing each other: creates, updates and deletes of one user, and users written while
their org's webhook endpoint is deleted. Every answer is one a sequential order could give (no
5xx), and no event is announced twice. Most meaningful on PostgreSQL, where these transactions
really overlap; on SQLite the writer lock serialises them and the same tests hold trivially."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.conftest import Partner

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}


async def test_updates_racing_deletes_of_one_user_never_fail(partner: Partner) -> None:
    statuses: Counter[int] = Counter()
    for round_ in range(15):
        partner_id = f"racer-{round_}"
        assert (await partner.api.post(f"/api/users/{partner_id}", json=JANE)).status_code == 201
        calls = [
            partner.api.post(f"/api/users/{partner_id}", json={"first_name": f"J{n}"})
            for n in range(4)
        ]
        calls += [partner.api.delete(f"/api/users/{partner_id}") for _ in range(2)]
        calls += [partner.api.post(f"/api/users/{partner_id}/sso", json={}) for _ in range(2)]
        for response in await asyncio.gather(*calls):
            statuses[response.status_code] += 1
            assert response.status_code < 500, response.text
    # One delete per round won; the other found the user gone.
    assert statuses[204] == 15
    assert statuses[404] >= 15


async def test_full_creates_racing_deletes_recreate_or_update(partner: Partner) -> None:
    for round_ in range(10):
        partner_id = f"phoenix-{round_}"
        await partner.api.post(f"/api/users/{partner_id}", json=JANE)
        calls = [partner.api.post(f"/api/users/{partner_id}", json=JANE) for _ in range(3)]
        calls.append(partner.api.delete(f"/api/users/{partner_id}"))
        for response in await asyncio.gather(*calls):
            assert response.status_code in (200, 201, 204, 404), response.text


async def test_users_written_while_the_webhook_endpoint_is_deleted(partner: Partner) -> None:
    for round_ in range(8):
        hook = await partner.api.post(
            "/api/webhooks", json={"url": f"https://hooks.example.com/{round_}"}
        )
        assert hook.status_code == 201, hook.text
        hook_id = hook.json()["webhook"]["id"]
        calls = [partner.api.post(f"/api/users/hooked-{round_}-{n}", json=JANE) for n in range(6)]
        calls.append(partner.api.delete(f"/api/webhooks/{hook_id}"))
        for response in await asyncio.gather(*calls):
            assert response.status_code in (201, 204), response.text


async def test_a_deleted_user_is_announced_once(partner: Partner) -> None:
    hook = await partner.api.post("/api/webhooks", json={"url": "https://hooks.example.com/once"})
    hook_id = hook.json()["webhook"]["id"]
    await partner.api.post("/api/users/once", json=JANE)
    responses = await asyncio.gather(*(partner.api.delete("/api/users/once") for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [204, 404, 404, 404]
    deliveries = (await partner.api.get(f"/api/webhooks/{hook_id}/deliveries")).json()
    deleted = [d for d in deliveries["deliveries"] if d["event_type"] == "user.deleted"]
    assert len(deleted) == 1
