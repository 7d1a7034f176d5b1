"""Admin bearer tokens: issue, use, refresh with rotation, reuse detection, expiry, revocation,
role intersection and the log-in throttle."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from greenroom.admins.models import Admin, AdminRole
from greenroom.audit.models import AuditEvent
from greenroom.core import clock
from greenroom.keys.scopes import Scope
from tests.auth.conftest import CHECK, get_tokens
from tests.conftest import Partner, host_for
from tests.factories import ADMIN_PASSWORD, make_admin, make_key, make_org


@pytest.fixture
async def admin(app: FastAPI, partner: Partner) -> Admin:
    return await make_admin(app, partner.org)


def bearer(key: str, token: object) -> dict[str, str]:
    return {"X-API-Key": key, "Authorization": f"Bearer {token}"}


async def events_of(app, org) -> list[str]:
    """The org's audit events other than key creation, oldest first (a fresh transaction)."""
    await app.state.authenticator.drain()  # failed log-ins are audited behind the request
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEvent.event)
            .where(AuditEvent.org_id == org.id, AuditEvent.event != "key.created")
            .order_by(AuditEvent.created_at)
        )
        return list(rows.scalars())


async def test_token_response_shape_and_check_names_the_admin(partner, admin) -> None:
    key, api = partner.key, partner.bare
    response = await api.post(
        "/api/auth/token",
        headers={"X-API-Key": key},
        json={"email": admin.email.upper(), "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_expires_in"] == 30 * 86400
    check = await api.get(CHECK, headers=bearer(key, body["access_token"]))
    assert check.status_code == 200
    assert check.json()["admin"] == {"id": str(admin.id), "email": admin.email, "role": "admin"}


async def test_wrong_password_is_401_and_audited(app, partner, admin) -> None:
    org, key, api = partner.org, partner.key, partner.bare
    response = await api.post(
        "/api/auth/token",
        headers={"X-API-Key": key},
        json={"email": admin.email, "password": "x" * 12},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert "x" * 12 not in response.text
    assert await events_of(app, org) == ["admin.login_failed"]
    await get_tokens(api, key, admin.email)
    assert (await events_of(app, org))[1:] == ["admin.login_succeeded", "token.issued"]


async def test_an_email_with_a_nul_is_401_like_any_wrong_one(partner, admin) -> None:
    # PostgreSQL refuses NUL in text: the look-up was a 500 there.
    for email in (admin.email + "\x00", "\x00"):
        response = await partner.bare.post(
            "/api/auth/token",
            headers={"X-API-Key": partner.key},
            json={"email": email, "password": ADMIN_PASSWORD},
        )
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_credentials"


async def test_admin_of_another_org_cannot_get_a_token(app, partner, admin) -> None:
    key, api = partner.key, partner.bare
    other = await make_org(app)
    outsider = await make_admin(app, other)
    response = await api.post(
        "/api/auth/token",
        headers={"X-API-Key": key},
        json={"email": outsider.email, "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"


async def test_token_is_refused_on_another_org_or_environment(
    app, client_for, partner, admin
) -> None:
    org, key, api = partner.org, partner.key, partner.bare
    tokens = await get_tokens(api, key, admin.email)
    other = await make_org(app)
    other_key = await make_key(app, other)
    response = await client_for(other.slug).get(
        CHECK, headers=bearer(other_key, tokens["access_token"])
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    sandbox_key = await make_key(app, org, environment="sandbox")
    response = await client_for(org.slug, "sandbox").get(
        CHECK, headers=bearer(sandbox_key, tokens["access_token"])
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_bad_bearer_token_is_401_invalid_token(partner, admin) -> None:
    key, api = partner.key, partner.bare
    response = await api.get(CHECK, headers=bearer(key, "not-a-real-token"))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.headers["www-authenticate"] == 'Bearer realm="greenroom", error="invalid_token"'


async def test_access_token_expires_after_15_minutes(partner, admin) -> None:
    key, api = partner.key, partner.bare
    tokens = await get_tokens(api, key, admin.email)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert (await api.get(CHECK, headers=bearer(key, tokens["access_token"]))).status_code == 200
    clock.advance(timedelta(seconds=2))
    response = await api.get(CHECK, headers=bearer(key, tokens["access_token"]))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_refresh_rotates_and_the_new_pair_works(app, partner, admin) -> None:
    org, key, api = partner.org, partner.key, partner.bare
    first = await get_tokens(api, key, admin.email)
    clock.advance(timedelta(minutes=20))
    response = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": first["refresh_token"]},
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await api.get(CHECK, headers=bearer(key, second["access_token"]))).status_code == 200
    assert "token.refreshed" in await events_of(app, org)


async def test_reused_refresh_token_revokes_the_whole_family(app, partner, admin) -> None:
    org, key, api = partner.org, partner.key, partner.bare
    first = await get_tokens(api, key, admin.email)
    refreshed = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": first["refresh_token"]},
    )
    second = refreshed.json()
    assert (await api.get(CHECK, headers=bearer(key, second["access_token"]))).status_code == 200
    reuse = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": first["refresh_token"]},
    )
    assert reuse.status_code == 401 and reuse.json()["code"] == "invalid_token"
    # Everything from that sign-in is dead now, the legitimate holder's new pair included.
    assert (await api.get(CHECK, headers=bearer(key, second["access_token"]))).status_code == 401
    again = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": second["refresh_token"]},
    )
    assert again.status_code == 401
    assert "token.reused" in await events_of(app, org)
    # Another sign-in of the same admin is untouched.
    other = await get_tokens(api, key, admin.email)
    assert (await api.get(CHECK, headers=bearer(key, other["access_token"]))).status_code == 200


async def test_refresh_token_expires_after_30_days(partner, admin) -> None:
    key, api = partner.key, partner.bare
    tokens = await get_tokens(api, key, admin.email)
    clock.advance(timedelta(days=30, seconds=1))
    response = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_access_token_cannot_refresh(partner, admin) -> None:
    key, api = partner.key, partner.bare
    tokens = await get_tokens(api, key, admin.email)
    response = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": tokens["access_token"]},
    )
    assert response.status_code == 401


async def test_revoke_ends_the_sign_in(app, partner, admin) -> None:
    org, key, api = partner.org, partner.key, partner.bare
    tokens = await get_tokens(api, key, admin.email)
    # Used once, so this process has it cached: revocation must drop it at once.
    assert (await api.get(CHECK, headers=bearer(key, tokens["access_token"]))).status_code == 200
    response = await api.post(
        "/api/auth/revoke", headers={"X-API-Key": key}, json={"token": tokens["access_token"]}
    )
    assert response.status_code == 200
    assert (await api.get(CHECK, headers=bearer(key, tokens["access_token"]))).status_code == 401
    refresh = await api.post(
        "/api/auth/refresh",
        headers={"X-API-Key": key},
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert refresh.status_code == 401
    assert "token.revoked" in await events_of(app, org)
    unknown = await api.post("/api/auth/revoke", headers={"X-API-Key": key}, json={"token": "nope"})
    assert unknown.status_code == 200


async def test_viewer_gets_the_keys_read_scopes_only(app, partner, admin) -> None:
    org, key, api = partner.org, partner.key, partner.bare
    viewer = await make_admin(app, org, role=AdminRole.VIEWER)
    tokens = await get_tokens(api, key, viewer.email)
    body = (await api.get(CHECK, headers=bearer(key, tokens["access_token"]))).json()
    assert body["scopes"] == ["progress:read", "users:read"]
    assert len(body["key"]["scopes"]) == len(Scope)
    narrow = await make_key(app, org, scopes=frozenset({Scope.USERS_WRITE, Scope.PROGRESS_READ}))
    body = (await api.get(CHECK, headers=bearer(narrow, tokens["access_token"]))).json()
    assert body["scopes"] == ["progress:read"]


async def test_role_is_read_from_the_admin_not_frozen_in_the_token(app, partner, admin) -> None:
    key, api = partner.key, partner.bare
    tokens = await get_tokens(api, key, admin.email)
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(Admin, admin.id)
        assert row is not None
        row.role = AdminRole.VIEWER.value
    body = (await api.get(CHECK, headers=bearer(key, tokens["access_token"]))).json()
    assert "users:write" not in body["scopes"]


async def test_failed_log_ins_are_throttled_per_account(app, partner, admin, settings) -> None:
    org, key = partner.org, partner.key
    for attempt in range(6):
        # A new client address each time: the account alone trips the throttle.
        transport = httpx.ASGITransport(app=app, client=(f"10.1.0.{attempt}", 1234))
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{host_for(settings, org.slug)}"
        ) as c:
            password = ADMIN_PASSWORD if attempt == 5 else "wrong password!"
            response = await c.post(
                "/api/auth/token",
                headers={"X-API-Key": key},
                json={"email": admin.email, "password": password},
            )
        if attempt < 5:
            assert response.status_code == 401, response.text
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response.headers["retry-after"]) <= 900


async def test_failed_log_ins_are_throttled_per_client_address(app, settings) -> None:
    transport = httpx.ASGITransport(app=app, client=("10.2.0.77", 1234))
    statuses = []
    for attempt in range(6):
        org = await make_org(app)  # a different account (and org) each time
        admin = await make_admin(app, org)
        key = await make_key(app, org)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{host_for(settings, org.slug)}"
        ) as c:
            response = await c.post(
                "/api/auth/token",
                headers={"X-API-Key": key},
                json={
                    "email": admin.email,
                    "password": "wrong password" if attempt < 5 else ADMIN_PASSWORD,
                },
            )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
