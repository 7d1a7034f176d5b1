"""Stored responses go only to credentials that still pass the route's checks: a key revoked,
expired or rolled past its grace since the first call gets 401, never the stored response."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from greenroom.admins.models import Admin, AdminRole
from greenroom.core import clock
from greenroom.core.security import hmac_digest
from greenroom.idempotency import repository
from greenroom.idempotency.middleware import _fingerprint
from greenroom.idempotency.sealing import seal
from greenroom.keys import service as keys
from greenroom.tenancy.models import Organization
from tests.auth.conftest import get_tokens
from tests.factories import make_admin, make_key, make_org
from tests.users.helpers import JANE

PATH = "/api/users/abc123def"


async def revoke(app: FastAPI, org: Organization, key: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        found = await keys.find_key(session, app.state.settings.server_secrets, key)
        assert found is not None
        await keys.revoke_key(session, org.id, found.id, actor="cli")


async def roll(app: FastAPI, org: Organization, key: str, grace: timedelta) -> None:
    settings = app.state.settings
    async with app.state.sessionmaker() as session, session.begin():
        found = await keys.find_key(session, settings.server_secrets, key)
        assert found is not None
        await keys.roll_key(
            session,
            org.id,
            found.id,
            server_secret=settings.server_secrets[0],
            created_by="cli",
            grace=grace,
        )


def assert_invalid_key(response: httpx.Response, stored: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_api_key"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.headers["content-type"] == "application/problem+json"
    assert "idempotent-replayed" not in response.headers
    if stored is not None:
        assert stored not in response.text


@pytest.mark.parametrize("how", ["revoked", "expired", "rolled"])
async def test_a_key_that_stopped_working_gets_401_not_the_stored_response(
    app: FastAPI,
    client_for,
    how: str,
) -> None:
    org = await make_org(app)
    key = await make_key(app, org, expires_at=clock.now() + timedelta(hours=1))
    api = client_for(org.slug, headers={"Authorization": key, "Idempotency-Key": f"k-{how}"})
    first = await api.post(PATH, json=JANE)
    assert first.status_code == 201
    assert (await api.post(PATH, json=JANE)).headers["idempotent-replayed"] == "true"
    if how == "revoked":
        await revoke(app, org, key)
    elif how == "expired":
        clock.advance(timedelta(hours=1, seconds=1))  # well within the record's 24 hours
    else:
        await roll(app, org, key, timedelta(minutes=5))
        clock.advance(timedelta(minutes=5, seconds=1))
    assert_invalid_key(await api.post(PATH, json=JANE), first.json()["user"]["token"]["token"])
    # Nor does the key learn, from a 409, that it used this Idempotency-Key before.
    assert_invalid_key(await api.post(PATH, json={**JANE, "first_name": "Janet"}))


async def test_a_retry_waiting_for_the_first_request_gets_401_if_the_key_is_revoked_meanwhile(
    app: FastAPI,
    client_for,
) -> None:
    org = await make_org(app, anonymous=True)
    key = await make_key(app, org)
    api = client_for(org.slug, headers={"Authorization": key, "Idempotency-Key": "k-wait"})
    # The first request's claim, as the middleware makes it; that request is "still running".
    path = "/api/users/anonymous"
    claim = await repository.claim(
        app.state.sessionmaker,
        repository.Scope(
            org_id=org.id,
            environment="production",
            credential_hash=hmac_digest(app.state.settings.server_secrets[0], key),
            key="k-wait",
        ),
        _fingerprint({"method": "POST", "path": path, "query_string": b""}, b""),
    )
    assert claim.outcome == "run" and claim.record_id is not None
    retry = asyncio.create_task(api.post(path))
    await asyncio.sleep(0.2)  # the retry is waiting for the first request's answer
    assert not retry.done()
    await revoke(app, org, key)
    # The first request finishes: its response is stored, as the middleware stores it.
    await repository.complete(
        app.state.sessionmaker,
        claim.record_id,
        201,
        json.dumps([["content-type", "application/json"]]),
        seal(key.encode(), claim.record_id.bytes, b'{"user": "the stored response"}'),
    )
    assert_invalid_key(await retry, "the stored response")


async def test_a_replay_needs_the_routes_scope_as_a_fresh_request_does(
    app: FastAPI,
    client_for,
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    key = await make_key(app, org)
    api = client_for(org.slug)
    tokens = await get_tokens(api, key, admin.email)
    api.headers.update(
        {
            "X-API-Key": key,
            "Authorization": f"Bearer {tokens['access_token']}",
            "Idempotency-Key": "k-scope",
        }
    )
    assert (await api.post(PATH, json=JANE)).status_code == 201
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(Admin, admin.id)
        assert row is not None
        row.role = AdminRole.VIEWER.value
    app.state.authenticator.access_cache.clear()  # as its few seconds running out would
    response = await api.post(PATH, json=JANE)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"
    assert response.json()["scope"] == "users:write"
    assert "idempotent-replayed" not in response.headers
