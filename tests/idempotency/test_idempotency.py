"""Idempotency-Key on POSTs under /api/: replay for 24 h, 409 on a different body, no double run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from greenroom.core import clock
from greenroom.idempotency.models import IdempotencyRecord
from greenroom.users.models import User
from tests.factories import make_org
from tests.users.helpers import JANE


async def test_same_key_and_body_replays_the_first_response(anonymous_partner) -> None:
    api = anonymous_partner.api
    headers = {"Idempotency-Key": "create-abc123def-1"}
    first = await api.post("/api/users/abc123def", json=JANE, headers=headers)
    second = await api.post("/api/users/abc123def", json=JANE, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()  # the same token too: nothing ran again
    assert second.headers["location"] == "/api/users/abc123def"
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]


async def test_key_order_in_the_json_does_not_matter(anonymous_partner) -> None:
    api = anonymous_partner.api
    headers = {"Idempotency-Key": "k1", "Content-Type": "application/json"}
    first = await api.post(
        "/api/users/abc123def",
        content=b'{"first_name":"Jane","last_name":"Doe","email":"jane.doe@xyz.example.com"}',
        headers=headers,
    )
    second = await api.post(
        "/api/users/abc123def",
        content=b'{"email": "jane.doe@xyz.example.com", "last_name": "Doe", "first_name": "Jane"}',
        headers=headers,
    )
    assert second.status_code == 201 and second.json() == first.json()


async def test_same_key_with_another_body_or_path_is_409(anonymous_partner) -> None:
    api = anonymous_partner.api
    headers = {"Idempotency-Key": "k-409"}
    await api.post("/api/users/abc123def", json=JANE, headers=headers)
    other_body = await api.post("/api/users/abc123def", json={"first_name": "X"}, headers=headers)
    assert other_body.status_code == 409
    assert other_body.json()["code"] == "idempotency_key_reused"
    other_path = await api.post("/api/users/zzz", json=JANE, headers=headers)
    assert other_path.status_code == 409


async def test_replay_lasts_24_hours_then_the_key_is_fresh(anonymous_partner) -> None:
    api = anonymous_partner.api
    headers = {"Idempotency-Key": "k-24h"}
    first = await api.post("/api/users/anonymous", headers=headers)
    clock.advance(timedelta(hours=23))
    again = await api.post("/api/users/anonymous", headers=headers)
    assert again.json() == first.json()
    clock.advance(timedelta(hours=1, seconds=1))
    fresh = await api.post("/api/users/anonymous", headers=headers)
    assert fresh.status_code == 201
    assert fresh.json()["user"]["partner_id"] != first.json()["user"]["partner_id"]


async def test_keys_are_scoped_by_org_environment_and_credentials(
    app, anonymous_partner, client_for, api_for
) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    headers = {"Idempotency-Key": "shared-key"}
    a = await api.post("/api/users/anonymous", headers=headers)
    other = await make_org(app, anonymous=True)
    api_other = await api_for(other)
    b = await api_other.post("/api/users/anonymous", headers=headers)
    sandbox = await api_for(org, "sandbox")
    c = await sandbox.post("/api/users/anonymous", headers=headers)
    ids = {r.json()["user"]["partner_id"] for r in (a, b, c)}
    assert len(ids) == 3
    # Without valid credentials nobody gets the stored response.
    stranger = client_for(org.slug, headers={"Authorization": "0" * 32})
    assert (await stranger.post("/api/users/anonymous", headers=headers)).status_code == 401


async def test_errors_that_say_nothing_final_are_not_kept(app, anonymous_partner) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    headers = {"Idempotency-Key": "k-429"}

    async def set_cap(cap: int) -> None:
        async with app.state.sessionmaker() as session, session.begin():
            (await session.get(type(org), org.id)).anonymous_daily_cap = cap
        app.state.org_resolver.forget(org.slug)

    await set_cap(0)
    assert (await api.post("/api/users/anonymous", headers=headers)).status_code == 429
    await set_cap(5)
    assert (await api.post("/api/users/anonymous", headers=headers)).status_code == 201


async def test_validation_errors_are_kept_and_replayed(anonymous_partner) -> None:
    api = anonymous_partner.api
    headers = {"Idempotency-Key": "k-422"}
    first = await api.post("/api/users/abc123def", json={"first_name": "J"}, headers=headers)
    assert first.status_code == 422
    again = await api.post("/api/users/abc123def", json={"first_name": "J"}, headers=headers)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"


async def test_concurrent_requests_with_one_key_run_once(app, anonymous_partner, db) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    headers = {"Idempotency-Key": "k-race"}
    responses = await asyncio.gather(
        *(api.post("/api/users/anonymous", headers=headers) for _ in range(10))
    )
    assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
    created = {r.json()["user"]["partner_id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    count = await db.scalar(select(func.count(User.id)).where(User.org_id == org.id))
    assert count == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "bad key", "naïve"])
async def test_malformed_keys_are_400(anonymous_partner, key: str) -> None:
    api = anonymous_partner.api
    response = await api.post(
        "/api/users/abc123def", json=JANE, headers={"Idempotency-Key": key.encode("utf-8")}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


async def test_requests_without_a_key_are_untouched(anonymous_partner) -> None:
    api = anonymous_partner.api
    a = await api.post("/api/users/anonymous")
    b = await api.post("/api/users/anonymous")
    assert a.json()["user"]["partner_id"] != b.json()["user"]["partner_id"]


async def test_stored_responses_do_not_hold_the_token_in_the_clear(anonymous_partner, db) -> None:
    from greenroom.idempotency.models import IdempotencyRecord

    org, api = anonymous_partner.org, anonymous_partner.api
    response = await api.post(
        "/api/users/abc123def", json=JANE, headers={"Idempotency-Key": "k-sealed"}
    )
    token = response.json()["user"]["token"]["token"]
    stmt = select(IdempotencyRecord).where(IdempotencyRecord.org_id == org.id)
    (record,) = (await db.execute(stmt)).scalars().all()
    assert record.status == 201
    assert record.body is not None
    assert token.encode() not in record.body and b"abc123def" not in record.body


async def _records_of(db, org) -> int:
    return int(
        await db.scalar(
            select(func.count(IdempotencyRecord.id)).where(IdempotencyRecord.org_id == org.id)
        )
    )


# JSON nested deeper than Python's reader goes (a RecursionError, not a ValueError).
TOO_DEEP = b"[" * 50_000 + b"]" * 50_000


async def test_credentials_are_checked_before_the_body_or_the_key(
    anonymous_partner, client_for, db
) -> None:
    # As on every route (docs/authentication.md): no body is read and nothing is written for
    # a caller without valid credentials, whatever its body and its Idempotency-Key.
    org = anonymous_partner.org
    stranger = client_for(org.slug, headers={"Authorization": "0" * 32})
    nobody = client_for(org.slug)
    json_type = {"Content-Type": "application/json"}
    for client in (stranger, nobody):
        for key, body in (("k-deep", TOO_DEEP), ("bad key", b"{}"), ("k-ok", b"{}")):
            response = await client.post(
                "/api/users/abc123def", content=body, headers={**json_type, "Idempotency-Key": key}
            )
            assert response.status_code == 401, (key, response.text)
    assert await _records_of(db, org) == 0


async def test_a_body_too_deep_to_read_is_the_routes_400_with_a_key_too(anonymous_partner) -> None:
    api = anonymous_partner.api
    headers = {"Content-Type": "application/json"}
    plain = await api.post("/api/users/abc123def", content=TOO_DEEP, headers=headers)
    keyed = await api.post(
        "/api/users/abc123def", content=TOO_DEEP, headers={**headers, "Idempotency-Key": "k-d"}
    )
    assert plain.status_code == keyed.status_code == 400, keyed.text
    assert keyed.json()["code"] == plain.json()["code"]


async def test_a_request_with_a_key_counts_once_against_the_rate_limit(anonymous_partner) -> None:
    api = anonymous_partner.api
    first = await api.post("/api/users/anonymous", headers={"Idempotency-Key": "k-count-1"})
    second = await api.post("/api/users/anonymous", headers={"Idempotency-Key": "k-count-2"})
    third = await api.post("/api/users/anonymous")
    remaining = [int(r.headers["ratelimit-remaining"]) for r in (first, second, third)]
    assert remaining[0] - remaining[1] == remaining[1] - remaining[2] == 1, remaining


async def test_a_path_no_route_takes_answers_as_it_does_without_a_key(
    anonymous_partner, client_for
) -> None:
    stranger = client_for(anonymous_partner.org.slug)
    for client in (anonymous_partner.api, stranger):
        for path, status in (("/api/no-such-thing", 404), ("/api/auth/check", 405)):
            plain = await client.post(path)
            keyed = await client.post(path, headers={"Idempotency-Key": "k-none"})
            assert plain.status_code == keyed.status_code == status, (path, keyed.text)
