"""The SDK against the real app: users, anonymous users, SSO, typed errors, idempotent retries."""

from __future__ import annotations

import httpx
import pytest

from greenroom.keys.scopes import Scope
from greenroom_client import AsyncGreenroom, errors
from tests.factories import make_key, make_org


@pytest.fixture
async def sdk(app):
    """`sdk(org, key, sandbox=False)`: an AsyncGreenroom speaking to the test app over HTTP."""
    clients: list[AsyncGreenroom] = []

    def make(org, key: str, *, sandbox: bool = False, **kwargs) -> AsyncGreenroom:
        client = AsyncGreenroom(
            org=org.slug,
            api_key=key,
            sandbox=sandbox,
            base_url="http://127.0.0.1:8000",
            transport=httpx.ASGITransport(app=app),
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_user_lifecycle_through_the_sdk(app, sdk) -> None:
    org = await make_org(app)
    gr = sdk(org, await make_key(app, org))
    created = await gr.users.upsert(
        "abc123def",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@xyz.example.com",
        metadata={"cohort": "2026"},
    )
    assert created.partner_id == "abc123def" and created.metadata == {"cohort": "2026"}
    assert created.created and created.token is not None and len(created.token.token) == 64
    assert created.request_id and created.created_at is not None

    updated = await gr.users.upsert("abc123def", first_name="Augusta")
    assert (
        updated.first_name == "Augusta"
        and updated.email == "ada@xyz.example.com"
        and not updated.created
    )
    assert (await gr.users.get("abc123def")).first_name == "Augusta"
    refreshed = await gr.users.refresh("abc123def")
    assert refreshed.token is not None and refreshed.token.token != updated.token.token

    await gr.users.delete("abc123def")
    with pytest.raises(errors.NotFound) as caught:
        await gr.users.get("abc123def")
    assert caught.value.status == 404 and caught.value.request_id


async def test_list_iterates_over_every_page(app, sdk) -> None:
    org = await make_org(app)
    gr = sdk(org, await make_key(app, org))
    for i in range(5):
        await gr.users.upsert(
            f"user-{i}", first_name="A", last_name="B", email=f"u{i}@xyz.example.com"
        )
    seen = [u.partner_id async for u in gr.users.list(page_size=2)]
    assert sorted(seen) == [f"user-{i}" for i in range(5)]
    only = [u.partner_id async for u in gr.users.list(email="u3@xyz.example.com")]
    assert only == ["user-3"]


async def test_sso_create_gives_a_ready_url(app, sdk, settings) -> None:
    org = await make_org(app)
    gr = sdk(org, await make_key(app, org, environment="sandbox"), sandbox=True)
    await gr.users.upsert("abc123def", first_name="A", last_name="B", email="a@xyz.example.com")
    sso = await gr.sso.create("abc123def", redirect_to="/members/dashboard")
    assert sso.url.startswith(f"http://{org.slug}.sandbox.{settings.base_domain}/sso/login?token=")
    with pytest.raises(errors.InvalidRedirect):
        await gr.sso.create("abc123def", redirect_to="//evil.example.com/")


async def test_typed_errors_for_each_failure(app, sdk) -> None:
    org = await make_org(app)
    read_only = sdk(org, await make_key(app, org, scopes=frozenset({Scope.USERS_READ})))
    with pytest.raises(errors.InsufficientScope) as caught:
        await read_only.users.upsert(
            "abc123def", first_name="A", last_name="B", email="a@xyz.example.com"
        )
    assert caught.value.body["scope"] == "users:write"
    full = sdk(org, await make_key(app, org))
    with pytest.raises(errors.InvalidPartnerId):
        await full.users.get("not valid!")
    with pytest.raises(errors.ValidationError) as invalid:
        await full.users.upsert("new-user", first_name="A")
    assert {e["field"] for e in invalid.value.errors} >= {"last_name", "email"}
    with pytest.raises(errors.FeatureNotEnabled):
        await full.users.create_anonymous()
    with pytest.raises(errors.InvalidApiKey):
        await sdk(org, "935d85189822bf96c28c4fa79d3d8f31").users.get("abc123def")
    with pytest.raises(errors.UnknownHost):
        await AsyncGreenroom(
            org="no-such-org-here",
            api_key="0" * 32,
            base_url="http://x",
            transport=httpx.ASGITransport(app=app),
        ).users.get("a")


async def test_the_same_idempotency_key_replays_the_first_result(app, sdk) -> None:
    org = await make_org(app, anonymous=True)
    gr = sdk(org, await make_key(app, org))
    first = await gr.users.create_anonymous(idempotency_key="retry-1")
    again = await gr.users.create_anonymous(idempotency_key="retry-1")
    assert first == again
    other = await gr.users.create_anonymous()
    assert other.partner_id != first.partner_id


class FlakyTransport(httpx.AsyncBaseTransport):
    """Fails the first `failures` requests (a dropped connection, then a 503), then passes on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: int) -> None:
        self.inner, self.failures = inner, failures
        self.seen: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers.get("idempotency-key"))
        if len(self.seen) == 1 and self.failures:
            raise httpx.ConnectError("connection dropped")
        if len(self.seen) <= self.failures:
            return httpx.Response(503, json={"code": "unavailable", "status": 503})
        return await self.inner.handle_async_request(request)


async def test_posts_are_retried_with_one_idempotency_key(app) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    flaky = FlakyTransport(httpx.ASGITransport(app=app), failures=2)
    async with AsyncGreenroom(
        org=org.slug, api_key=key, base_url="http://127.0.0.1", transport=flaky
    ) as gr:
        gr.retry.backoff_base = 0.001
        created = await gr.users.upsert(
            "abc123def", first_name="A", last_name="B", email="a@xyz.example.com"
        )
    assert created.partner_id == "abc123def"
    assert len(flaky.seen) == 3 and len(set(flaky.seen)) == 1 and flaky.seen[0]


async def test_gives_up_after_max_retries(app) -> None:
    org = await make_org(app)
    flaky = FlakyTransport(httpx.ASGITransport(app=app), failures=10)
    async with AsyncGreenroom(
        org=org.slug,
        api_key=await make_key(app, org),
        base_url="http://127.0.0.1",
        transport=flaky,
        max_retries=2,
    ) as gr:
        gr.retry.backoff_base = 0.001
        with pytest.raises(errors.ServerError):
            await gr.users.get("abc123def")
    assert len(flaky.seen) == 3
