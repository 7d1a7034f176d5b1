"""Sign-in tokens in the create responses: present or null by scope, stored hashed, unused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from greenroom.core import clock
from greenroom.core.security import hmac_digest
from greenroom.keys.scopes import ALL_SCOPES, Scope
from greenroom.users.models import SsoToken, User
from tests.factories import make_org
from tests.users.helpers import JANE


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _tokens_of(db, org_id, partner_id: str) -> list[SsoToken]:
    user = (
        await db.execute(select(User).where(User.org_id == org_id, User.partner_id == partner_id))
    ).scalar_one()
    stmt = select(SsoToken).where(SsoToken.user_id == user.id)
    return list((await db.execute(stmt)).scalars().all())


async def test_create_and_update_each_return_a_fresh_token_stored_only_as_a_hash(
    app, api_for, db
) -> None:
    org = await make_org(app)
    api = await api_for(org)
    before = clock.now()
    first = (await api.post("/api/users/abc123def", json=JANE)).json()["user"]["token"]
    second = (await api.post("/api/users/abc123def", json={})).json()["user"]["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", first["token"])
    assert first["token"] != second["token"]
    # 48 hours by default.
    assert abs(_at(first["expires_at"]) - (before + timedelta(hours=48))) < timedelta(minutes=1)
    rows = await _tokens_of(db, org.id, "abc123def")
    assert len(rows) == 2  # a new token does not cancel the earlier one
    secret = app.state.settings.server_secrets[0]
    assert {r.token_hash for r in rows} == {
        hmac_digest(secret, first["token"]),
        hmac_digest(secret, second["token"]),
    }
    for row in rows:
        assert row.used_at is None
        assert row.secret_version == secret.version
        assert first["token"] not in row.token_hash and second["token"] not in row.token_hash
        assert row.environment == "production" and row.org_id == org.id


async def test_token_is_null_without_the_sso_scope(app, api_for, db) -> None:
    org = await make_org(app, anonymous=True)
    api = await api_for(org, scopes=ALL_SCOPES - {Scope.SSO_CREATE})
    created = await api.post("/api/users/abc123def", json=JANE)
    assert created.status_code == 201
    assert created.json()["user"]["token"] is None
    anonymous = await api.post("/api/users/anonymous")
    assert anonymous.status_code == 201
    assert anonymous.json()["user"]["token"] is None
    assert await _tokens_of(db, org.id, "abc123def") == []


async def test_token_lifetime_follows_the_org_setting_and_moves_with_the_clock(
    app, api_for, db
) -> None:
    org = await make_org(app)
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(type(org), org.id)
        row.sso_token_ttl_seconds = 600
    app.state.org_resolver.forget(org.slug)
    api = await api_for(org)
    clock.advance(timedelta(days=3))
    now = clock.now()
    token = (await api.post("/api/users/abc123def", json=JANE)).json()["user"]["token"]
    assert abs(_at(token["expires_at"]) - (now + timedelta(seconds=600))) < timedelta(seconds=5)
    (row,) = await _tokens_of(db, org.id, "abc123def")
    assert abs(row.expires_at - (now + timedelta(seconds=600))) < timedelta(seconds=5)


@pytest.mark.parametrize("environment", ["production", "sandbox"])
async def test_tokens_are_bound_to_the_environment(app, api_for, db, environment) -> None:
    org = await make_org(app)
    api = await api_for(org, environment)
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    stmt = select(SsoToken).where(SsoToken.org_id == org.id)
    (row,) = (await db.execute(stmt)).scalars().all()
    assert row.environment == environment
