"""Tenant isolation, for every /api/ operation of the OpenAPI document.

A victim org holds users, a webhook endpoint with a delivery, an admin and tokens. Every
operation is called against the victim's resources with each credential that must not reach
them (docs/authentication.md):

| case | expected |
|---|---|
| another org's key, on the victim's host | 401 `invalid_api_key` |
| the victim's key of the other environment (sandbox key, production host) | 401 `invalid_api_key` |
| the victim's revoked key | 401 `invalid_api_key` |
| the victim's expired key | 401 `invalid_api_key` |
| the victim's key without the operation's scope | 403 `insufficient_scope` |
| the victim's key with another org's bearer token | 401 `invalid_token` |
| another org's own key on its own host, naming the victim's ids | 404 (or its own namespace) |
| the victim's sandbox key on the sandbox host, naming production ids | 404 (or its own namespace) |

and no byte of the victim's data (partner ids, emails, names, webhook and delivery ids, URLs,
tokens) appears in any response unless the request itself carried it. A new operation joins the
matrix by itself; one with a new path parameter or a request body fails here until it is given
a victim's value or a body below.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from greenroom.app import create_app
from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.keys.models import ApiKey
from greenroom.keys.scopes import ALL_SCOPES, Scope
from greenroom.tenancy import service as orgs
from tests.conftest import host_for, unique_address
from tests.factories import ADMIN_PASSWORD, make_admin, make_key, make_org


def _operations() -> list[tuple[str, str, Scope | None]]:
    # The document of the app as built (no database is touched to build it).
    app = create_app(Settings(database_url="sqlite+aiosqlite://"), configure_logs=False)
    found = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            scopes = {s for req in operation.get("security", []) for s in next(iter(req.values()))}
            assert len(scopes) <= 1, (method, path, scopes)
            scope = Scope(scopes.pop()) if scopes else None
            found.append((method.upper(), path, scope))
    return found


OPERATIONS = _operations()
REFUSED = {
    "other_org_key": (401, "invalid_api_key"),
    "other_environment_key": (401, "invalid_api_key"),
    "revoked_key": (401, "invalid_api_key"),
    "expired_key": (401, "invalid_api_key"),
    "unscoped_key": (403, "insufficient_scope"),
    "other_org_bearer": (401, "invalid_token"),
}
CROSSING = ("other_org_resources", "other_environment_resources")
# Operations that create in the caller's own namespace whatever the id: not a 404.
UPSERTS = {("POST", "/api/users/{partner_id}")}


@dataclass
class Victim:
    slug: str
    key: str
    sandbox_key: str
    revoked_key: str
    expired_key: str
    unscoped_keys: dict[Scope, str]
    admin_email: str
    tokens: dict[str, str]
    ids: dict[str, str]  # path parameter -> the victim's value
    markers: set[str] = field(default_factory=set)


@dataclass
class World:
    victim: Victim
    attacker_slug: str
    attacker_key: str
    attacker_bearer: str


def _bodies(victim: Victim) -> dict[tuple[str, str], Any]:
    return {
        ("POST", "/api/auth/token"): {"email": victim.admin_email, "password": "guess-guess"},
        ("POST", "/api/auth/refresh"): {"refresh_token": victim.tokens["refresh_token"]},
        ("POST", "/api/auth/revoke"): {"token": victim.tokens["access_token"]},
        ("POST", "/api/users/{partner_id}"): {
            "first_name": "Mallory",
            "last_name": "Intruder",
            "email": "mallory@attacker.example.com",
        },
        ("POST", "/api/users/{partner_id}/sso"): {},
        ("POST", "/api/webhooks"): {"url": "https://93.184.215.14/attacker-hook"},
        ("POST", "/api/webhooks/{webhook_id}"): {"description": "taken over"},
    }


async def _api(app: FastAPI, settings: Settings, slug: str, env: str = "production") -> Any:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(unique_address(), 50000)),
        base_url=f"http://{host_for(settings, slug, env)}",
    )


@pytest.fixture(scope="module")
async def world(app: FastAPI, settings: Settings) -> World:
    tag = uuid.uuid4().hex[:12]
    org = await make_org(app, name="Victim Corporation")  # not a marker: its own keys see it
    admin = await make_admin(app, org, email=f"victim-admin-{tag}@victim.example.com")
    key = await make_key(app, org)
    sandbox_key = await make_key(app, org, environment="sandbox")
    revoked_key = await make_key(app, org, name="revoked")
    expired_key = await make_key(app, org, name="expired")
    unscoped = {s: await make_key(app, org, scopes=ALL_SCOPES - {s}) for s in Scope}
    async with app.state.sessionmaker() as session, session.begin():
        # The matrix calls with the victim's key hundreds of times a minute.
        await orgs.update_org(
            session, org.slug, key_rate_limit_per_minute=100_000, rate_limit_per_minute=100_000
        )
        # Before any use, so that no cache holds them as they were.
        past = clock.now() - timedelta(minutes=1)
        for name, column in (("revoked", "revoked_at"), ("expired", "expires_at")):
            await session.execute(
                update(ApiKey)
                .where(ApiKey.org_id == org.id, ApiKey.name == name)
                .values({column: past})
            )

    settings = app.state.settings
    partner_id = f"victim-{tag}"
    async with await _api(app, settings, org.slug) as api:
        auth = {"Authorization": key}
        hook = await api.post(
            "/api/webhooks",
            headers=auth,
            json={
                "url": f"https://93.184.215.14/victim-hook-{tag}",
                "description": f"V{tag}",
                "format": "biginterview",  # so that the victim has a verification key
            },
        )
        assert hook.status_code == 201, hook.text
        webhook = hook.json()["webhook"]
        user = await api.post(
            f"/api/users/{partner_id}",
            headers=auth,
            json={
                "first_name": f"Vicky{tag}",
                "last_name": f"Victim{tag}",
                "email": f"vicky-{tag}@victim.example.com",
                "metadata": {"secret": f"meta-{tag}"},
            },
        )
        assert user.status_code == 201, user.text
        deliveries = await api.get(f"/api/webhooks/{webhook['id']}/deliveries", headers=auth)
        delivery = deliveries.json()["deliveries"][0]
        tokens = await api.post(
            "/api/auth/token",
            headers={"X-API-Key": key},
            json={"email": admin.email, "password": ADMIN_PASSWORD},
        )
        assert tokens.status_code == 200, tokens.text
        export = await api.post(f"/api/users/{partner_id}/export", headers=auth)
        assert export.status_code == 202, export.text
        export_id = export.json()["export"]["id"]
    interview_id = await _interview(app, org, partner_id)
    victim = Victim(
        slug=org.slug,
        key=key,
        sandbox_key=sandbox_key,
        revoked_key=revoked_key,
        expired_key=expired_key,
        unscoped_keys=unscoped,
        admin_email=admin.email,
        tokens=tokens.json(),
        ids={
            "partner_id": partner_id,
            "webhook_id": webhook["id"],
            "delivery_id": delivery["id"],
            "interview_id": interview_id,
            "export_id": export_id,
        },
    )
    victim.markers = {
        tag,
        partner_id,
        webhook["id"],
        webhook["secret"],
        webhook["verification_key"],
        delivery["id"],
        interview_id,
        export_id,
        user.json()["user"]["token"]["token"],
        victim.tokens["access_token"],
        victim.tokens["refresh_token"],
        key,
        sandbox_key,
        str(org.id),
    }

    attacker = await make_org(app)
    attacker_admin = await make_admin(app, attacker)
    attacker_key = await make_key(app, attacker)
    async with await _api(app, settings, attacker.slug) as api:
        issued = await api.post(
            "/api/auth/token",
            headers={"X-API-Key": attacker_key},
            json={"email": attacker_admin.email, "password": ADMIN_PASSWORD},
        )
        assert issued.status_code == 200, issued.text
    return World(victim, attacker.slug, attacker_key, issued.json()["access_token"])


async def _interview(app: FastAPI, org: Any, partner_id: str) -> str:
    """A practice interview of the victim's user (started as the practice app starts one)."""
    from greenroom.content.loader import get_pack
    from greenroom.practice import service as practice
    from greenroom.tenancy.context import OrgSnapshot, Tenant
    from greenroom.tenancy.hosts import Environment
    from greenroom.users import service as users

    pack = get_pack(app.state.settings.content_dir)
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    async with app.state.sessionmaker() as session, session.begin():
        user = await users.get_user(session, tenant, partner_id)
        interview = await practice.start(session, tenant, user, pack, pack.question_sets[0])
    return str(interview.id)


def _cases() -> list[Any]:
    out = []
    for method, path, scope in OPERATIONS:
        for case in [*REFUSED, *CROSSING]:
            if case == "unscoped_key" and scope is None:
                continue  # any valid key may call it: there is no scope to lack
            out.append(pytest.param(method, path, scope, case, id=f"{method} {path} | {case}"))
    return out


@pytest.mark.parametrize(("method", "path", "scope", "case"), _cases())
async def test_isolation(
    app: FastAPI,
    settings: Settings,
    world: World,
    method: str,
    path: str,
    scope: Scope | None,
    case: str,
) -> None:
    victim = world.victim
    params = {}
    for name in _path_parameters(path):
        assert name in victim.ids, f"{path}: give the victim a value for {{{name}}} above"
        params[name] = victim.ids[name]
    url = path.format(**params)
    bodies = _bodies(victim)
    body = bodies.get((method, path))
    if method == "POST" and (method, path) not in bodies:
        body = {}  # no body declared; none is read before authentication anyway

    slug, environment = victim.slug, "production"
    headers: dict[str, str]
    if case == "other_org_key":
        headers = {"Authorization": world.attacker_key}
    elif case == "other_environment_key":
        headers = {"Authorization": victim.sandbox_key}
    elif case == "revoked_key":
        headers = {"Authorization": victim.revoked_key}
    elif case == "expired_key":
        headers = {"Authorization": victim.expired_key}
    elif case == "unscoped_key":
        assert scope is not None
        headers = {"Authorization": victim.unscoped_keys[scope]}
    elif case == "other_org_bearer":
        headers = {"X-API-Key": victim.key, "Authorization": f"Bearer {world.attacker_bearer}"}
    elif case == "other_org_resources":
        # A fresh org each time, so that nothing an earlier case made there is found.
        intruder = await make_org(app)
        slug, headers = intruder.slug, {"Authorization": await make_key(app, intruder)}
    else:
        assert case == "other_environment_resources"
        environment, headers = "sandbox", {"Authorization": victim.sandbox_key}

    async with await _api(app, settings, slug, environment) as api:
        response = await api.request(method, url, headers=headers, json=body)
        if case in CROSSING and (method, path) in UPSERTS and response.status_code == 201:
            # Made in the caller's own namespace: gone again, so later cases find nothing.
            assert (await api.delete(url, headers=headers)).status_code == 204

    assert response.status_code < 500, response.text
    if case in REFUSED:
        status, code = REFUSED[case]
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
    elif params and (method, path) not in UPSERTS:
        assert response.status_code == 404, response.text
    elif path == "/api/auth/token" or path == "/api/auth/refresh":
        assert response.status_code == 401, response.text  # the victim's admin, tokens: not here

    sent = url + (str(body) if body is not None else "")
    shown = response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    leaked = sorted(m for m in victim.markers if m not in sent and m in shown)
    assert not leaked, f"the victim's data in the answer: {leaked}"

    # Nothing of the victim's changed: its user, endpoint and sign-in are as they were.
    if method in ("POST", "DELETE"):
        await _victim_intact(app, settings, victim)


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


async def _victim_intact(app: FastAPI, settings: Settings, victim: Victim) -> None:
    async with await _api(app, settings, victim.slug) as api:
        auth = {"Authorization": victim.key}
        user = await api.get(f"/api/users/{victim.ids['partner_id']}", headers=auth)
        assert user.status_code == 200, user.text
        assert user.json()["user"]["first_name"].startswith("Vicky")
        hook = await api.get(f"/api/webhooks/{victim.ids['webhook_id']}", headers=auth)
        assert hook.status_code == 200, hook.text
        assert hook.json()["webhook"]["description"] != "taken over"
        check = await api.get(
            "/api/auth/check",
            headers={
                "X-API-Key": victim.key,
                "Authorization": f"Bearer {victim.tokens['access_token']}",
            },
        )
        assert check.status_code == 200, check.text
