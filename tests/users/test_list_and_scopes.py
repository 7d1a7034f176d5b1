"""GET /api/users (filters, pagination), GET one, DELETE, and the scope each needs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from greenroom.core import clock
from greenroom.keys.scopes import ALL_SCOPES, Scope
from tests.factories import make_key
from tests.users.helpers import JANE


async def test_pages_through_every_user_once_oldest_change_first(anonymous_partner) -> None:
    api = anonymous_partner.api
    ids = [f"user-{i:02d}" for i in range(7)]
    for partner_id in ids:
        await api.post(f"/api/users/{partner_id}", json=JANE)
        clock.advance(timedelta(seconds=1))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/api/users", params=params)).json()
        seen += [u["partner_id"] for u in body["users"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


async def test_filters_by_email_updated_since_and_anonymous(anonymous_partner) -> None:
    api = anonymous_partner.api
    await api.post("/api/users/old", json=JANE)
    clock.advance(timedelta(hours=1))
    since = clock.now()
    await api.post("/api/users/new", json={**JANE, "email": "New.Person@XYZ.example.com"})
    anon = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]

    async def ids(**params: str) -> set[str]:
        response = await api.get("/api/users", params=params)
        assert response.status_code == 200, response.text
        return {u["partner_id"] for u in response.json()["users"]}

    assert await ids(email="new.person@xyz.example.com") == {"new"}
    assert await ids(updated_since=since.isoformat()) == {"new", anon}
    assert await ids(anonymous="true") == {anon}
    assert await ids(anonymous="false") == {"old", "new"}


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "201"}, {"updated_since": "yesterday"}]
)
async def test_bad_list_parameters_are_422(anonymous_partner, params) -> None:
    api = anonymous_partner.api
    assert (await api.get("/api/users", params=params)).status_code == 422


async def test_tampered_cursor_is_400(anonymous_partner) -> None:
    api = anonymous_partner.api
    response = await api.get("/api/users", params={"cursor": "bm9wZQ"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/api/users/abc123def", Scope.USERS_WRITE),
        ("POST", "/api/users/anonymous", Scope.ANONYMOUS_CREATE),
        ("GET", "/api/users/abc123def", Scope.USERS_READ),
        ("GET", "/api/users", Scope.USERS_READ),
        ("DELETE", "/api/users/abc123def", Scope.USERS_DELETE),
    ],
)
async def test_each_operation_needs_its_scope(app, anonymous_partner, method, path, scope) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    await api.post("/api/users/abc123def", json=JANE)
    narrow = await make_key(app, org, scopes=ALL_SCOPES - {scope})
    kwargs = {"json": JANE} if path.endswith("abc123def") and method == "POST" else {}
    response = await api.request(method, path, headers={"Authorization": narrow}, **kwargs)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"
    assert response.json()["scope"] == scope.value
    only = await make_key(app, org, scopes=frozenset({scope}))
    allowed = await api.request(method, path, headers={"Authorization": only}, **kwargs)
    assert allowed.status_code < 300, allowed.text


async def test_no_key_is_401(anonymous_partner, client_for) -> None:
    org = anonymous_partner.org
    bare = client_for(org.slug)
    assert (await bare.get("/api/users")).status_code == 401
    assert (await bare.post("/api/users/abc123def", json=JANE)).status_code == 401


async def test_delete_erases_the_user_their_tokens_and_browser_sessions(
    app, anonymous_partner, db
) -> None:
    from sqlalchemy import select

    from greenroom.tenancy.context import OrgSnapshot, Tenant
    from greenroom.tenancy.hosts import Environment
    from greenroom.users.models import SsoToken, User
    from greenroom.websessions import service as websessions
    from greenroom.websessions.models import WebSession

    org, api = anonymous_partner.org, anonymous_partner.api
    await api.post("/api/users/abc123def", json=JANE)
    await api.post("/api/users/other", json=JANE)
    async with app.state.sessionmaker() as session, session.begin():
        users = (await session.execute(select(User).where(User.org_id == org.id))).scalars().all()
        by_pid = {u.partner_id: u.id for u in users}
        tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
        for user_id in by_pid.values():
            await websessions.start(
                session, app.state.settings, tenant, kind="member", subject_id=user_id
            )
    assert (await api.delete("/api/users/abc123def")).status_code == 204
    assert (await api.get("/api/users/abc123def")).status_code == 404
    sessions = (
        (await db.execute(select(WebSession.subject_id).where(WebSession.org_id == org.id)))
        .scalars()
        .all()
    )
    assert sessions == [by_pid["other"]]
    tokens = (
        (await db.execute(select(SsoToken.user_id).where(SsoToken.org_id == org.id)))
        .scalars()
        .all()
    )
    assert tokens == [by_pid["other"]]
