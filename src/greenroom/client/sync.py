"""The synchronous client: `Greenroom(org="xyz", api_key="...")`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from greenroom.client import resources
from greenroom.client._core import Call, Endpoint, RetryPolicy, prepare, result, retry_delay
from greenroom.client._tokens import TokenState
from greenroom.client.errors import ConnectionFailed, InvalidToken


class Users(resources.Users[Any]):
    def list(self, *, page_size: int = 100, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every user matching the filters (`email`, `updated_since`, `anonymous`), page by page."""
        cursor = None
        while True:
            body = self.page(cursor=cursor, limit=page_size, **filters)
            yield from body["users"]
            cursor = body.get("next_cursor")
            if not cursor:
                return


class Progress(resources.Progress[Any]):
    def list(self, *, page_size: int = 100, **filters: Any) -> Iterator[dict[str, Any]]:
        """Progress of every user (optionally `updated_since`), page by page."""
        cursor = None
        while True:
            body = self.page(cursor=cursor, limit=page_size, **filters)
            yield from body["progress"]
            cursor = body.get("next_cursor")
            if not cursor:
                return

    def interviews(self, partner_id: str, *, page_size: int = 50) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            body = self.interviews_page(partner_id, cursor=cursor, limit=page_size)
            yield from body["interviews"]
            cursor = body.get("next_cursor")
            if not cursor:
                return


class Webhooks(resources.Webhooks[Any]):
    def list(self) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            body = self.page(cursor=cursor)
            yield from body["webhooks"]
            cursor = body.get("next_cursor")
            if not cursor:
                return


class Auth:
    def __init__(self, client: Greenroom) -> None:
        self._client = client

    def check(self) -> dict[str, Any]:
        """What the credentials are: org, environment, key name and last 4, scopes, admin."""
        return self._client._run(resources.CHECK_CALL)  # type: ignore[no-any-return]

    def login(self, email: str, password: str) -> dict[str, Any]:
        """Log an admin in; later calls send the bearer token and refresh it by themselves."""
        body = self._client._send(resources.token_call(email, password), bearer=False)
        self._client._tokens.store(body)
        return body  # type: ignore[no-any-return]

    def refresh(self) -> None:
        tokens = self._client._tokens
        if not tokens.refresh:
            raise InvalidToken("not logged in")
        tokens.store(self._client._send(resources.refresh_call(tokens.refresh), bearer=False))

    def logout(self) -> None:
        tokens = self._client._tokens
        if tokens.refresh:
            self._client._send(resources.revoke_call(tokens.refresh), bearer=False)
        tokens.clear()


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
        self.users = Users(self._run)
        self.progress = Progress(self._run)
        self.sso = resources.Sso[Any](self._run)
        self.webhooks = Webhooks(self._run)
        self.auth = Auth(self)

    def __enter__(self) -> Greenroom:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, call: Call) -> Any:
        if self._tokens.needs_refresh():
            self.auth.refresh()
        try:
            return self._send(call)
        except InvalidToken:
            if not self._tokens.refresh:
                raise
            self.auth.refresh()
            return self._send(call)

    def _send(self, call: Call, *, bearer: bool = True) -> Any:
        kwargs = prepare(call, self.endpoint, self._tokens.headers(self.api_key, bearer=bearer))
        attempt = 0
        while True:
            response: httpx.Response | None = None
            try:
                response = self._http.request(call.method, call.path, **kwargs)
            except httpx.TransportError as exc:
                failure: Exception = exc
            delay = retry_delay(self.retry, call, kwargs, attempt, response)
            if delay is None:
                if response is None:
                    raise ConnectionFailed(f"could not reach {self.endpoint.base_url}") from failure
                return result(response)
            time.sleep(delay)
            attempt += 1
