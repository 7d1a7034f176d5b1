"""Guesses sent all at once: the log-in throttle reserves each attempt before the password is
verified, so at most 5 are ever evaluated per account (and per client address), however many
arrive together and through however many processes, and the right password does not get in
once the limit is spent."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter

import httpx
import pytest
from fastapi import FastAPI

from greenroom.audit import service as audit
from greenroom.audit.service import AuditEventType
from greenroom.auth.ratelimit import LOGIN_LIMIT
from greenroom.core.settings import Settings
from tests.admin_area.conftest import csrf_of
from tests.factories import ADMIN_PASSWORD, make_admin, make_key, make_org
from tests.faults.conftest import client, running_app
from tests.faults.servers import RedisServer

GUESSES = 100
WRONG = "not the password, surely"
_addresses = itertools.count(uuid.uuid4().int % 1_000_000)


def new_address() -> str:
    n = next(_addresses)
    return f"10.{100 + (n >> 16) % 100}.{(n >> 8) & 255}.{n & 255}"


async def failures_recorded(app: FastAPI, org_id: uuid.UUID) -> int:
    await app.state.authenticator.drain()  # failed log-ins are audited behind the request
    async with app.state.sessionmaker() as session:
        page = await audit.list_events(session, org_id, limit=200)
    return sum(1 for e in page.events if e.event == AuditEventType.LOGIN_FAILED)


async def token_attempt(
    app: FastAPI, settings: Settings, slug: str, key: str, email: str, password: str
) -> int:
    # A client address of its own per attempt: the account's limit is what is under test.
    async with client(app, settings, slug, new_address()) as c:
        response = await c.post(
            "/api/auth/token",
            headers={"X-API-Key": key},
            json={"email": email, "password": password},
        )
    assert response.status_code in (200, 401, 429), response.text
    if response.status_code == 429:
        assert response.json()["code"] == "rate_limited"
        assert 0 < int(response.headers["retry-after"]) <= 900
    return response.status_code


async def test_a_hundred_token_guesses_at_once_evaluate_at_most_the_limit(
    app: FastAPI, settings: Settings
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    key = await make_key(app, org)
    statuses = await asyncio.gather(
        *(token_attempt(app, settings, org.slug, key, admin.email, WRONG) for _ in range(GUESSES))
    )
    assert Counter(statuses) == {401: LOGIN_LIMIT, 429: GUESSES - LOGIN_LIMIT}
    assert await failures_recorded(app, org.id) == LOGIN_LIMIT

    # The limit is spent: the right password, sent among more guesses, does not get in.
    attempts = [(ADMIN_PASSWORD if i == 10 else WRONG) for i in range(20)]
    statuses = await asyncio.gather(
        *(token_attempt(app, settings, org.slug, key, admin.email, p) for p in attempts)
    )
    assert set(statuses) == {429}
    assert await failures_recorded(app, org.id) == LOGIN_LIMIT


async def test_a_hundred_guesses_from_one_address_evaluate_at_most_the_limit(
    app: FastAPI, settings: Settings
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    address = new_address()

    async def guess(n: int) -> int:
        async with client(app, settings, org.slug, address) as c:
            response = await c.post(
                "/api/auth/token",
                headers={"X-API-Key": key},
                json={"email": f"guess{n}@xyz.example.com", "password": WRONG},
            )
        return response.status_code

    statuses = await asyncio.gather(*(guess(n) for n in range(GUESSES)))
    assert Counter(statuses) == {401: LOGIN_LIMIT, 429: GUESSES - LOGIN_LIMIT}


async def test_a_hundred_admin_log_ins_at_once_evaluate_at_most_the_limit(
    app: FastAPI, settings: Settings
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)

    async def log_in(password: str) -> httpx.Response:
        async with client(app, settings, org.slug, new_address()) as c:
            form = await c.get("/login/admin")
            return await c.post(
                "/login/admin",
                data={"csrftoken": csrf_of(form.text), "email": admin.email, "password": password},
            )

    responses = await asyncio.gather(*(log_in(WRONG) for _ in range(GUESSES)))
    assert Counter(r.status_code for r in responses) == {401: LOGIN_LIMIT, 429: GUESSES - 5}
    assert await failures_recorded(app, org.id) == LOGIN_LIMIT
    throttled = [r for r in responses if r.status_code == 429]
    assert all("Too many failed log-ins" in r.text for r in throttled)

    attempts = [ADMIN_PASSWORD if i == 10 else WRONG for i in range(20)]
    responses = await asyncio.gather(*(log_in(p) for p in attempts))
    assert {r.status_code for r in responses} == {429}
    assert not any("gr_admin=" in r.headers.get("set-cookie", "") for r in responses)


async def test_a_success_clears_the_account_and_keeps_its_address_free(
    app: FastAPI, settings: Settings
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    key = await make_key(app, org)
    address = new_address()

    async def attempt(password: str) -> int:
        async with client(app, settings, org.slug, address) as c:
            response = await c.post(
                "/api/auth/token",
                headers={"X-API-Key": key},
                json={"email": admin.email, "password": password},
            )
        return response.status_code

    # Four failures, then successes: each success forgets the account's failures and gives
    # the address its reservation back, so the office behind one address is never locked out.
    assert [await attempt(WRONG) for _ in range(4)] == [401] * 4
    assert [await attempt(ADMIN_PASSWORD) for _ in range(8)] == [200] * 8
    assert await attempt(WRONG) == 401
    assert await attempt(WRONG) == 429  # the address: 5 failures within the window


@pytest.mark.slow
async def test_two_processes_sharing_redis_evaluate_at_most_the_limit(
    app: FastAPI, settings: Settings, redis_server: RedisServer
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    key = await make_key(app, org)
    async with (
        running_app(settings, redis_url=redis_server.url) as one,
        running_app(settings, redis_url=redis_server.url) as two,
    ):
        statuses = await asyncio.gather(
            *(
                token_attempt(one if i % 2 else two, settings, org.slug, key, admin.email, WRONG)
                for i in range(GUESSES)
            )
        )
        assert Counter(statuses) == {401: LOGIN_LIMIT, 429: GUESSES - LOGIN_LIMIT}
        right = await token_attempt(two, settings, org.slug, key, admin.email, ADMIN_PASSWORD)
        assert right == 429
    assert await failures_recorded(app, org.id) == LOGIN_LIMIT
