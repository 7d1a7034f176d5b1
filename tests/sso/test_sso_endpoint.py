"""POST /api/users/{partner_id}/sso."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from greenroom.core import clock
from greenroom.core.security import hmac_digest
from greenroom.keys.scopes import ALL_SCOPES, Scope
from greenroom.users.models import SsoToken
from tests.factories import make_key, make_org
from tests.users.helpers import JANE


@pytest.fixture
async def jane(api: httpx.AsyncClient) -> str:
    """The partner's user abc123def."""
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    return "abc123def"


async def test_returns_token_url_and_expiry_and_stores_the_redirect(app, partner, jane, db) -> None:
    org, api = partner.org, partner.api
    response = await api.post(
        "/api/users/abc123def/sso", json={"redirect_to": "/members/lessons/intro"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    url = urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}" == app.state.settings.org_origin(org.slug)
    assert url.path == "/sso/login"
    assert parse_qs(url.query) == {"token": [body["token"]]}
    digest = hmac_digest(app.state.settings.server_secrets[0], body["token"])
    row = (await db.execute(select(SsoToken).where(SsoToken.token_hash == digest))).scalar_one()
    assert row.redirect_to == "/members/lessons/intro"
    assert row.used_at is None


async def test_sandbox_urls_point_at_the_sandbox_host(app, api_for) -> None:
    org = await make_org(app)
    api = await api_for(org, "sandbox")
    await api.post("/api/users/abc123def", json=JANE)
    body = (await api.post("/api/users/abc123def/sso", json={})).json()
    assert body["url"].startswith(app.state.settings.org_origin(org.slug, "sandbox"))


async def test_no_body_is_fine(partner, jane) -> None:
    api = partner.api
    assert (await api.post("/api/users/abc123def/sso")).status_code == 201


@pytest.mark.parametrize(
    "redirect_to",
    [
        "//evil.com",
        "https://evil.com",
        "javascript:alert(1)",
        "/\\evil",
        "/%2F%2Fevil.com",
        "/%5Cevil",
    ],
)
async def test_unsafe_redirects_are_422_invalid_redirect(
    partner, jane, db, redirect_to: str
) -> None:
    org, api = partner.org, partner.api
    response = await api.post("/api/users/abc123def/sso", json={"redirect_to": redirect_to})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_redirect"
    rows = (await db.execute(select(SsoToken).where(SsoToken.org_id == org.id))).scalars().all()
    assert len(rows) == 1  # only the one from the create call


async def test_expires_in_may_shorten_but_not_lengthen(partner, jane) -> None:
    api = partner.api
    now = clock.now()
    short = await api.post("/api/users/abc123def/sso", json={"expires_in": 60})
    assert short.status_code == 201
    expires = datetime.fromisoformat(short.json()["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (now + timedelta(seconds=60))) < timedelta(seconds=5)
    for bad in (59, 0, -1, 48 * 3600 + 1):
        response = await api.post("/api/users/abc123def/sso", json={"expires_in": bad})
        assert response.status_code == 422, bad
    assert (
        await api.post("/api/users/abc123def/sso", json={"expires_in": 48 * 3600})
    ).status_code == 201


async def test_unknown_user_is_404_and_missing_scope_is_403(app, partner, jane) -> None:
    org, api = partner.org, partner.api
    assert (await api.post("/api/users/nobody/sso", json={})).status_code == 404
    key = await make_key(app, org, scopes=ALL_SCOPES - {Scope.SSO_CREATE})
    response = await api.post("/api/users/abc123def/sso", json={}, headers={"Authorization": key})
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


async def test_deleting_the_user_deletes_their_tokens(partner, jane, db) -> None:
    org, api = partner.org, partner.api
    await api.post("/api/users/abc123def/sso", json={})
    assert (await api.delete("/api/users/abc123def")).status_code == 204
    rows = (await db.execute(select(SsoToken).where(SsoToken.org_id == org.id))).scalars().all()
    assert rows == []
