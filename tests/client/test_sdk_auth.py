"""The SDK's auth: check, bearer log-in, automatic refresh, log-out; 429 honoured."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from greenroom.admins.models import AdminRole
from greenroom.core import clock
from greenroom.tenancy import service as orgs
from greenroom_client import AsyncGreenroom, errors
from tests.factories import ADMIN_PASSWORD, make_admin, make_key, make_org


def _client(app, org, key: str, **kwargs) -> AsyncGreenroom:
    return AsyncGreenroom(
        org=org.slug,
        api_key=key,
        base_url="http://127.0.0.1",
        transport=httpx.ASGITransport(app=app),
        **kwargs,
    )


async def test_check_login_refresh_and_logout(app) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org, role=AdminRole.VIEWER)
    async with _client(app, org, await make_key(app, org)) as gr:
        check = await gr.auth.check()
        assert check.org.slug == org.slug and check.admin is None and check.request_id
        await gr.auth.login(admin.email, ADMIN_PASSWORD)
        check = await gr.auth.check()
        assert check.admin is not None and check.admin.email == admin.email
        assert set(check.scopes) == {"users:read", "progress:read"}  # a viewer's share
        with pytest.raises(errors.InsufficientScope):
            await gr.users.upsert(
                "abc123def", first_name="A", last_name="B", email="a@xyz.example.com"
            )

        first_access = gr._tokens.access
        clock.advance(timedelta(minutes=16))  # the access token has expired on the server
        check = await gr.auth.check()  # refreshed by itself, then retried
        assert check.admin is not None and check.admin.email == admin.email
        assert gr._tokens.access != first_access

        await gr.auth.logout()
        assert (await gr.auth.check()).admin is None


async def test_bad_password_is_a_typed_error(app) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)
    async with _client(app, org, await make_key(app, org)) as gr:
        with pytest.raises(errors.AuthenticationError) as caught:
            await gr.auth.login(admin.email, "wrong password, sorry")
        assert caught.value.status == 401


async def test_rate_limited_calls_wait_and_retry(app, monkeypatch) -> None:
    org = await make_org(app)
    async with app.state.sessionmaker() as session, session.begin():
        await orgs.update_org(session, org.slug, key_rate_limit_per_minute=2)
    app.state.org_resolver.forget(org.slug)
    waits: list[float] = []
    async with _client(app, org, await make_key(app, org), max_retries=1) as gr:
        gr.retry.max_retry_after = 0.0  # honour Retry-After, but do not really wait in a test
        original = gr.retry.delay

        def spy(attempt: int, error: Exception | None) -> float:
            waits.append(getattr(error, "retry_after", None) or -1)
            return original(attempt, error)

        monkeypatch.setattr(gr.retry, "delay", spy)
        await gr.auth.check()
        await gr.auth.check()
        with pytest.raises(errors.RateLimited) as caught:
            await gr.auth.check()
    assert waits and waits[0] > 0  # the server's Retry-After was read
    assert caught.value.retry_after and caught.value.retry_after > 0
