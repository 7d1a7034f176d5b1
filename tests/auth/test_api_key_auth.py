"""The three credential forms and the status table of docs/partner-api.md, Statuses (the core
cases)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from greenroom.core import clock
from greenroom.keys.scopes import Scope
from tests.factories import make_key, make_org

PATH = "/api/_probe/whoami"


@pytest.mark.parametrize("form", ["bare", "x-api-key"])
async def test_valid_key_in_each_form(partner, form: str) -> None:
    key, api = partner.key, partner.bare
    headers = {"Authorization": key} if form == "bare" else {"X-API-Key": key}
    response = await api.get(PATH, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["environment"] == "production"


async def test_no_credentials_is_401_without_error_code(partner) -> None:
    api = partner.bare
    response = await api.get(PATH)
    assert response.status_code == 401
    assert response.json()["code"] == "missing_credentials"
    assert "error=" not in response.headers["www-authenticate"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "not-a-key"},
        {"Authorization": "935d85189822bf96c28c4fa79d3d8f3"},
        {"Authorization": "935d85189822bf96c28c4fa79d3d8f31x"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "zzzz5189822bf96c28c4fa79d3d8f31"},
        {
            "Authorization": "935d85189822bf96c28c4fa79d3d8f31",
            "X-API-Key": "035d85189822bf96c28c4fa79d3d8f31",
        },
    ],
)
async def test_malformed_headers_are_400(partner, headers) -> None:
    api = partner.bare
    response = await api.get(PATH, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_auth_header"


async def test_unknown_key_is_401_and_never_echoed(partner) -> None:
    api = partner.bare
    unknown = "935d85189822bf96c28c4fa79d3d8f31"
    response = await api.get(PATH, headers={"Authorization": unknown})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert unknown not in response.text


async def test_other_org_and_other_environment_keys_are_401(app, partner, client_for) -> None:
    org, key = partner.org, partner.key
    other = await make_org(app)
    assert (
        await client_for(other.slug).get(PATH, headers={"Authorization": key})
    ).status_code == 401
    sandbox = client_for(org.slug, "sandbox")
    assert (await sandbox.get(PATH, headers={"Authorization": key})).status_code == 401
    sandbox_key = await make_key(app, org, environment="sandbox")
    assert (await sandbox.get(PATH, headers={"Authorization": sandbox_key})).status_code == 200
    assert (
        await client_for(org.slug).get(PATH, headers={"Authorization": sandbox_key})
    ).status_code == 401


async def test_expired_key_is_401(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org, expires_at=clock.now() + timedelta(days=1))
    api = client_for(org.slug)
    assert (await api.get(PATH, headers={"Authorization": key})).status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    response = await api.get(PATH, headers={"Authorization": key})
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


async def test_missing_scope_is_403_naming_it(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org, scopes=frozenset({Scope.PROGRESS_READ}))
    response = await client_for(org.slug).get(PATH, headers={"Authorization": key})
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert response.json()["scope"] == "users:read"


async def test_credentials_are_checked_before_the_body_is_read(partner) -> None:
    key, api = partner.key, partner.bare

    async def post_broken_json(**credentials: str) -> tuple[int, str]:
        response = await api.post(
            "/api/users/abc123def",
            content=b'{"first_name": ',
            headers={"Content-Type": "application/json", **credentials},
        )
        return response.status_code, response.json()["code"]

    assert await post_broken_json() == (401, "missing_credentials")
    assert await post_broken_json(Authorization="0" * 32) == (401, "invalid_api_key")
    # With a valid key the same body is read, and refused for what it is.
    assert await post_broken_json(Authorization=key) == (400, "malformed_json")
