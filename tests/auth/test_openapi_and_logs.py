"""The OpenAPI document names the security schemes and each operation's scope; no key or token
reaches a log line."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter, FastAPI

from greenroom.auth.guard import ApiRoute, requires
from greenroom.auth.openapi import install_security_docs
from greenroom.keys.scopes import Scope
from tests.auth.conftest import CHECK, get_tokens
from tests.factories import make_admin, make_key, make_org


async def test_openapi_lists_security_schemes(client_for, app) -> None:
    org = await make_org(app)
    doc = (await client_for(org.slug).get("/api/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKeyAuthorization"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["ApiKeyAuthorization"]["description"],
    }
    assert schemes["ApiKeyHeader"]["name"] == "X-API-Key"
    assert schemes["BearerToken"]["scheme"] == "bearer"
    assert "security" in doc["paths"]["/api/auth/check"]["get"]


def test_each_operation_declares_its_scope_in_its_security_requirements() -> None:
    # A stand-alone app, because the endpoints that need scopes belong to other features.
    sample = FastAPI()
    install_security_docs(sample)
    router = APIRouter(route_class=ApiRoute)

    @router.post("/api/things")
    @requires(Scope.USERS_WRITE)
    async def make_thing() -> None:
        return None

    sample.include_router(router)
    operation = sample.openapi()["paths"]["/api/things"]["post"]
    assert operation["security"] == [
        {"ApiKeyAuthorization": ["users:write"]},
        {"ApiKeyHeader": ["users:write"]},
        {"ApiKeyHeader": ["users:write"], "BearerToken": ["users:write"]},
    ]
    assert "**Scope:** `users:write`" in operation["description"]
    assert "ApiKeyHeader" in sample.openapi()["components"]["securitySchemes"]


def test_a_partner_api_route_without_a_declared_scope_is_refused_at_start_up() -> None:
    router = APIRouter(route_class=ApiRoute)
    with pytest.raises(TypeError, match="@requires"):

        @router.get("/api/open")
        async def forgot_to_declare() -> None:
            return None

    # Declared in the wrong order (under the route decorator is right): refused too.
    with pytest.raises(TypeError, match="@requires"):

        @requires(None)
        @router.get("/api/open")
        async def declared_too_late() -> None:
            return None


async def test_keys_and_tokens_never_reach_the_logs(app, client_for, caplog) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    key = await make_key(app, org)
    api = client_for(org.slug)
    caplog.set_level(logging.DEBUG)
    tokens = await get_tokens(api, key, admin.email)
    await api.get(
        CHECK, headers={"X-API-Key": key, "Authorization": f"Bearer {tokens['access_token']}"}
    )
    await api.get(CHECK, headers={"Authorization": key[:-1] + "z"})
    await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": tokens["refresh_token"]},
    )
    secrets = [key, str(tokens["access_token"]), str(tokens["refresh_token"])]
    assert caplog.records
    for record in caplog.records:
        text = repr(vars(record)) + record.getMessage()
        for secret in secrets:
            assert secret not in text
