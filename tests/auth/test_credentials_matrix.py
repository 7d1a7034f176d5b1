"""The status table of docs/partner-api.md, Statuses, for each of the three credential forms,
through the real `GET /api/auth/check` (and a users:read endpoint for the missing-scope case)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from greenroom.core import clock
from greenroom.keys import service as keys
from greenroom.keys.scopes import Scope
from greenroom.tenancy.models import Organization
from tests.auth.conftest import CHECK, get_tokens
from tests.factories import make_admin, make_key, make_org

USERS_READ_PATH = "/api/_probe/whoami"  # the only users:read endpoint the test app has yet
FORMS = ["bare", "x-api-key", "x-api-key+bearer"]


@dataclass
class World:
    app: FastAPI
    org: Organization
    admin_email: str
    api: httpx.AsyncClient
    sandbox: httpx.AsyncClient


@pytest.fixture
async def world(app, client_for) -> World:
    org = await make_org(app)
    admin = await make_admin(app, org)
    return World(app, org, admin.email, client_for(org.slug), client_for(org.slug, "sandbox"))


async def headers_for(world: World, form: str, key: str, token_key: str | None = None):
    if form == "bare":
        return {"Authorization": key}
    if form == "x-api-key":
        return {"X-API-Key": key}
    # A token issued through a valid key of the org, presented beside `key`.
    issuing_key = token_key or await make_key_for(world)
    tokens = await get_tokens(world.api, issuing_key, world.admin_email)
    return {"X-API-Key": key, "Authorization": f"Bearer {tokens['access_token']}"}


async def make_key_for(world: World, **kwargs: Any) -> str:
    return await make_key(world.app, world.org, **kwargs)


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


@pytest.mark.parametrize("form", FORMS)
async def test_valid_key_is_accepted(app, world, form) -> None:
    key = await make_key(app, world.org)
    response = await world.api.get(CHECK, headers=await headers_for(world, form, key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["org"]["slug"] == world.org.slug
    assert body["environment"] == "production"
    assert body["key"]["last4"] == key[-4:]
    assert key not in response.text
    assert (body["admin"] is not None) == (form == "x-api-key+bearer")


@pytest.mark.parametrize("form", FORMS)
async def test_malformed_key_is_400(app, world, form) -> None:
    headers = await headers_for(world, form, "zz" * 16, token_key=await make_key(app, world.org))
    response = await world.api.get(CHECK, headers=headers)
    assert_problem(response, 400, "invalid_auth_header")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"X-API-Key": ""},
    ],
)
async def test_missing_credentials_is_401_without_error_code(world, headers) -> None:
    response = await world.api.get(CHECK, headers=headers)
    assert_problem(response, 401, "missing_credentials")
    assert response.headers["www-authenticate"] == 'Bearer realm="greenroom"'


async def test_bearer_without_key_or_token_is_400(world) -> None:
    for headers in (
        {"Authorization": "Bearer abc"},
        {"Authorization": "Bearer", "X-API-Key": "935d85189822bf96c28c4fa79d3d8f31"},
    ):
        assert_problem(await world.api.get(CHECK, headers=headers), 400, "invalid_auth_header")


@pytest.mark.parametrize("form", FORMS)
async def test_unknown_key_is_401_invalid_api_key(app, world, form) -> None:
    unknown = "935d85189822bf96c28c4fa79d3d8f31"
    headers = await headers_for(world, form, unknown, token_key=await make_key(app, world.org))
    response = await world.api.get(CHECK, headers=headers)
    assert_problem(response, 401, "invalid_api_key")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert unknown not in response.text


@pytest.mark.parametrize("form", FORMS)
async def test_revoked_key_is_401_at_once(app, world, form) -> None:
    key = await make_key(app, world.org)
    headers = await headers_for(world, form, key, token_key=await make_key(app, world.org))
    assert (await world.api.get(CHECK, headers=headers)).status_code == 200  # now cached
    key_id = (await world.api.get(CHECK, headers=headers)).json()["key"]["id"]
    async with app.state.sessionmaker() as session, session.begin():
        await keys.revoke_key(session, world.org.id, uuid.UUID(key_id), actor="cli")
    assert_problem(await world.api.get(CHECK, headers=headers), 401, "invalid_api_key")


@pytest.mark.parametrize("form", FORMS)
async def test_expired_key_is_401(app, world, form) -> None:
    key = await make_key(app, world.org, expires_at=clock.now() + timedelta(days=2))
    headers = await headers_for(world, form, key, token_key=await make_key(app, world.org))
    assert (await world.api.get(CHECK, headers=headers)).status_code == 200
    clock.advance(timedelta(days=2, seconds=1))
    if form == "x-api-key+bearer":  # the token has expired too by now; get a fresh one
        headers = await headers_for(world, form, key, token_key=await make_key(app, world.org))
    assert_problem(await world.api.get(CHECK, headers=headers), 401, "invalid_api_key")


async def _roll(app, org, key: str, grace: timedelta) -> str:
    async with app.state.sessionmaker() as session, session.begin():
        found = await keys.find_key(session, app.state.settings.server_secrets, key)
        assert found is not None
        created = await keys.roll_key(
            session,
            org.id,
            found.id,
            server_secret=app.state.settings.server_secrets[0],
            created_by="cli",
            grace=grace,
        )
    return created.secret


@pytest.mark.parametrize("form", FORMS)
async def test_rolled_key_works_within_grace_then_fails(app, world, form) -> None:
    old = await make_key(app, world.org)
    assert (await world.api.get(CHECK, headers={"Authorization": old})).status_code == 200
    new = await _roll(app, world.org, old, timedelta(hours=2))
    clock.advance(timedelta(hours=1))
    for key in (old, new):
        headers = await headers_for(world, form, key, token_key=new)
        response = await world.api.get(CHECK, headers=headers)
        assert response.status_code == 200, response.text
    clock.advance(timedelta(hours=1, seconds=1))
    headers = await headers_for(world, form, old, token_key=new)
    assert_problem(await world.api.get(CHECK, headers=headers), 401, "invalid_api_key")
    headers = await headers_for(world, form, new, token_key=new)
    assert (await world.api.get(CHECK, headers=headers)).status_code == 200


async def test_roll_with_zero_grace_stops_the_old_key_at_once(app, world) -> None:
    old = await make_key(app, world.org)
    assert (await world.api.get(CHECK, headers={"Authorization": old})).status_code == 200
    new = await _roll(app, world.org, old, timedelta(0))
    assert_problem(
        await world.api.get(CHECK, headers={"Authorization": old}), 401, "invalid_api_key"
    )
    body = (await world.api.get(CHECK, headers={"Authorization": new})).json()
    assert body["key"]["name"] == "XYZ integration"


@pytest.mark.parametrize("form", FORMS)
async def test_key_of_another_org_is_401(app, client_for, world, form) -> None:
    other = await make_org(app)
    foreign = await make_key(app, other)
    headers = await headers_for(world, form, foreign, token_key=await make_key(app, world.org))
    assert_problem(await world.api.get(CHECK, headers=headers), 401, "invalid_api_key")
    assert (
        await client_for(other.slug).get(CHECK, headers={"X-API-Key": foreign})
    ).status_code == 200


@pytest.mark.parametrize("form", FORMS)
async def test_key_of_the_other_environment_is_401(app, world, form) -> None:
    sandbox_key = await make_key(app, world.org, environment="sandbox")
    headers = await headers_for(world, form, sandbox_key, token_key=await make_key(app, world.org))
    assert_problem(await world.api.get(CHECK, headers=headers), 401, "invalid_api_key")
    response = await world.sandbox.get(CHECK, headers={"Authorization": sandbox_key})
    assert response.status_code == 200 and response.json()["environment"] == "sandbox"


@pytest.mark.parametrize("form", FORMS)
async def test_lacking_scope_is_403_naming_it(app, world, form) -> None:
    key = await make_key(app, world.org, scopes=frozenset({Scope.PROGRESS_READ}))
    headers = await headers_for(world, form, key, token_key=key)
    response = await world.api.get(USERS_READ_PATH, headers=headers)
    assert_problem(response, 403, "insufficient_scope")
    assert response.json()["scope"] == "users:read"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert (await world.api.get(CHECK, headers=headers)).json()["scopes"] == ["progress:read"]
