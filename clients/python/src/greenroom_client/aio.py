"""The asyncio client: `AsyncGreenroom(org="xyz", api_key="...")`, the same calls awaited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TypeVar

import httpx

from greenroom_client import models
from greenroom_client import resources as r
from greenroom_client._core import (
    Call,
    Endpoint,
    RetryPolicy,
    connection_failed,
    prepare,
    result,
    retry_delay,
)
from greenroom_client._operations import async_operation as operation
from greenroom_client._tokens import TokenState
from greenroom_client.errors import InvalidToken

T = TypeVar("T")


class _Resource:
    def __init__(self, client: AsyncGreenroom) -> None:
        self._client = client

    async def _run(self, call: Call[T]) -> T:
        return await self._client._run(call)


class Users(_Resource):
    upsert = operation(r.upsert_user)
    refresh = operation(r.refresh_user)
    create_anonymous = operation(r.create_anonymous_user)
    get = operation(r.get_user)
    delete = operation(r.delete_user)
    page = operation(r.list_users)

    async def list(
        self,
        *,
        page_size: int = 100,
        email: str | None = None,
        updated_since: datetime | str | None = None,
        anonymous: bool | None = None,
    ) -> AsyncIterator[models.User]:
        """Every user matching the filters, page by page."""
        cursor = None
        while True:
            found = await self.page(
                cursor=cursor,
                limit=page_size,
                email=email,
                updated_since=updated_since,
                anonymous=anonymous,
            )
            for item in found.items:
                yield item
            if not (cursor := found.next_cursor):
                return


class Progress(_Resource):
    get = operation(r.get_progress)
    page = operation(r.list_progress)
    tracks = operation(r.get_tracks)
    interviews = operation(r.list_interviews)

    async def list(
        self, *, page_size: int = 100, updated_since: datetime | str | None = None
    ) -> AsyncIterator[models.Progress]:
        """Progress of every user (changed since `updated_since`), page by page."""
        cursor = None
        while True:
            found = await self.page(cursor=cursor, limit=page_size, updated_since=updated_since)
            for item in found.items:
                yield item
            if not (cursor := found.next_cursor):
                return


class Sso(_Resource):
    create = operation(r.create_sign_in_link)


class Webhooks(_Resource):
    create = operation(r.create_webhook)
    get = operation(r.get_webhook)
    update = operation(r.update_webhook)
    delete = operation(r.delete_webhook)
    rotate_secret = operation(r.rotate_webhook_secret)
    rotate_verification_key = operation(r.rotate_webhook_verification_key)
    page = operation(r.list_webhooks)
    deliveries_page = operation(r.list_deliveries)
    delivery = operation(r.get_delivery)
    resend = operation(r.resend_delivery)

    async def list(self) -> AsyncIterator[models.Webhook]:
        cursor = None
        while True:
            found = await self.page(cursor=cursor)
            for item in found.items:
                yield item
            if not (cursor := found.next_cursor):
                return


class Auth(_Resource):
    check = operation(r.check_auth)

    async def login(self, email: str, password: str) -> models.Tokens:
        """Log an admin in; later calls send the bearer token and refresh it by themselves."""
        tokens = await self._client._send(r.token_call(email, password), bearer=False)
        self._client._tokens.store(tokens)
        return tokens

    async def refresh(self) -> None:
        state = self._client._tokens
        if not state.refresh:
            raise InvalidToken("not logged in")
        state.store(await self._client._send(r.refresh_call(state.refresh), bearer=False))

    async def logout(self) -> None:
        state = self._client._tokens
        if state.refresh:
            await self._client._send(r.revoke_call(state.refresh), bearer=False)
        state.clear()


class AsyncGreenroom:
    """A client for one org environment.

    `AsyncGreenroom(org="xyz", api_key=KEY)` talks to https://xyz.greenroom.localhost (set
    `base_domain` to your deployment's); `sandbox=True` to its sandbox. `base_url` connects to an
    address instead, still sending the org's Host header:
    `AsyncGreenroom(org="xyz", api_key=KEY, base_url="http://127.0.0.1:8000")`.
    """

    def __init__(
        self,
        org: str | None = None,
        api_key: str = "",
        *,
        sandbox: bool = False,
        base_domain: str | None = None,
        base_url: str | None = None,
        scheme: str = "https",
        timeout: float = 10.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self.api_key = api_key
        self.endpoint = Endpoint.build(
            org=org, sandbox=sandbox, base_domain=base_domain, base_url=base_url, scheme=scheme
        )
        self.retry = RetryPolicy(max_retries=max_retries)
        self._http = httpx.AsyncClient(
            base_url=self.endpoint.base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )
        self._tokens = TokenState()
        self.users = Users(self)
        self.progress = Progress(self)
        self.sso = Sso(self)
        self.webhooks = Webhooks(self)
        self.auth = Auth(self)

    async def __aenter__(self) -> AsyncGreenroom:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _run(self, call: Call[T]) -> T:
        if self._tokens.needs_refresh():
            await self.auth.refresh()
        try:
            return await self._send(call)
        except InvalidToken:
            if not self._tokens.refresh:
                raise
            await self.auth.refresh()
            return await self._send(call)

    async def _send(self, call: Call[T], *, bearer: bool = True) -> T:
        kwargs = prepare(call, self.endpoint, self._tokens.headers(self.api_key, bearer=bearer))
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: Exception | None = None
            try:
                response = await self._http.request(call.method, call.path, **kwargs)
            except httpx.TransportError as exc:
                failure = exc
            delay = retry_delay(self.retry, call, kwargs, attempt, response)
            if delay is None:
                if response is None:
                    assert failure is not None
                    raise connection_failed(self.endpoint, failure) from failure
                found: T = result(response, call)
                return found
            await asyncio.sleep(delay)
            attempt += 1


__all__ = ["AsyncGreenroom", "models"]
