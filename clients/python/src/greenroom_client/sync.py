"""The synchronous client: `Greenroom(org="xyz", api_key="...")`."""

from __future__ import annotations

import time
from collections.abc import Iterator
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
from greenroom_client._operations import operation
from greenroom_client._tokens import TokenState
from greenroom_client.errors import InvalidToken

T = TypeVar("T")


class _Resource:
    def __init__(self, client: Greenroom) -> None:
        self._client = client

    def _run(self, call: Call[T]) -> T:
        return self._client._run(call)


class Users(_Resource):
    upsert = operation(r.upsert_user)
    refresh = operation(r.refresh_user)
    create_anonymous = operation(r.create_anonymous_user)
    get = operation(r.get_user)
    delete = operation(r.delete_user)
    page = operation(r.list_users)

    def list(
        self,
        *,
        page_size: int = 100,
        email: str | None = None,
        updated_since: datetime | str | None = None,
        anonymous: bool | None = None,
    ) -> Iterator[models.User]:
        """Every user matching the filters, page by page."""
        cursor = None
        while True:
            found = self.page(
                cursor=cursor,
                limit=page_size,
                email=email,
                updated_since=updated_since,
                anonymous=anonymous,
            )
            yield from found.items
            if not (cursor := found.next_cursor):
                return


class Progress(_Resource):
    get = operation(r.get_progress)
    page = operation(r.list_progress)
    tracks = operation(r.get_tracks)
    interviews = operation(r.list_interviews)

    def list(
        self, *, page_size: int = 100, updated_since: datetime | str | None = None
    ) -> Iterator[models.Progress]:
        """Progress of every user (changed since `updated_since`), page by page."""
        cursor = None
        while True:
            found = self.page(cursor=cursor, limit=page_size, updated_since=updated_since)
            yield from found.items
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

    def list(self) -> Iterator[models.Webhook]:
        cursor = None
        while True:
            found = self.page(cursor=cursor)
            yield from found.items
            if not (cursor := found.next_cursor):
                return


class Auth(_Resource):
    check = operation(r.check_auth)

    def login(self, email: str, password: str) -> models.Tokens:
        """Log an admin in; later calls send the bearer token and refresh it by themselves."""
        tokens = self._client._send(r.token_call(email, password), bearer=False)
        self._client._tokens.store(tokens)
        return tokens

    def refresh(self) -> None:
        state = self._client._tokens
        if not state.refresh:
            raise InvalidToken("not logged in")
        state.store(self._client._send(r.refresh_call(state.refresh), bearer=False))

    def logout(self) -> None:
        state = self._client._tokens
        if state.refresh:
            self._client._send(r.revoke_call(state.refresh), bearer=False)
        state.clear()


class Greenroom:
    """A client for one org environment.

    `Greenroom(org="xyz", api_key=KEY)` talks to https://xyz.greenroom.localhost (set
    `base_domain` to your deployment's); `sandbox=True` to its sandbox. `base_url` connects to an
    address instead, still sending the org's Host header:
    `Greenroom(org="xyz", api_key=KEY, base_url="http://127.0.0.1:8000")`.
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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self.api_key = api_key
        self.endpoint = Endpoint.build(
            org=org, sandbox=sandbox, base_domain=base_domain, base_url=base_url, scheme=scheme
        )
        self.retry = RetryPolicy(max_retries=max_retries)
        self._http = httpx.Client(
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

    def __enter__(self) -> Greenroom:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, call: Call[T]) -> T:
        if self._tokens.needs_refresh():
            self.auth.refresh()
        try:
            return self._send(call)
        except InvalidToken:
            if not self._tokens.refresh:
                raise
            self.auth.refresh()
            return self._send(call)

    def _send(self, call: Call[T], *, bearer: bool = True) -> T:
        kwargs = prepare(call, self.endpoint, self._tokens.headers(self.api_key, bearer=bearer))
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: Exception | None = None
            try:
                response = self._http.request(call.method, call.path, **kwargs)
            except httpx.TransportError as exc:
                failure = exc
            delay = retry_delay(self.retry, call, kwargs, attempt, response)
            if delay is None:
                if response is None:
                    assert failure is not None
                    raise connection_failed(self.endpoint, failure) from failure
                found: T = result(response, call)
                return found
            time.sleep(delay)
            attempt += 1


__all__ = ["Greenroom", "models"]
