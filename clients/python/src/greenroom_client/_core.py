"""What the sync and async clients share: where requests go, how they are built, retried and
turned into results or typed errors."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from greenroom_client.errors import ConnectionFailed, RateLimited, error_from_response

USER_AGENT = "greenroom-python"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Meta:
    """What a parser learns of the response besides its body."""

    status: int
    request_id: str | None


T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request, and how its 2xx body becomes the result (a `models` object)."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    # POSTs get an Idempotency-Key (so that they can be retried safely) unless this is False.
    idempotent_post: bool = True
    idempotency_key: str | None = None
    authenticated: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    parse: Callable[[Any, Meta], T] | None = None


def segment(value: str) -> str:
    """A path segment, percent-encoded (a partner_id is letters, digits, - and _ anyway)."""
    return quote(value, safe="")


@dataclass
class Endpoint:
    """Where requests go: the org's host, or an address with the org's Host header."""

    base_url: str
    host_header: str | None

    @classmethod
    def build(
        cls,
        *,
        org: str | None,
        sandbox: bool,
        base_domain: str | None,
        base_url: str | None,
        scheme: str,
    ) -> Endpoint:
        domain = (base_domain or "greenroom.localhost").strip(".").lower()
        host = None
        if org:
            host = f"{org}.sandbox.{domain}" if sandbox else f"{org}.{domain}"
        if base_url:
            # e.g. base_url="http://127.0.0.1:8000" with org="xyz": connect there, send Host.
            return cls(base_url.rstrip("/"), host)
        if not host:
            raise ValueError("give org= (with base_domain=) or base_url=")
        return cls(f"{scheme}://{host}", None)


@dataclass
class RetryPolicy:
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, error: Exception | None) -> float:
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def prepare(call: Call[Any], endpoint: Endpoint, auth_headers: dict[str, str]) -> dict[str, Any]:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **call.headers}
    if endpoint.host_header:
        headers["Host"] = endpoint.host_header
    if call.authenticated:
        headers.update(auth_headers)
    if call.method == "POST" and call.idempotent_post:
        headers["Idempotency-Key"] = call.idempotency_key or uuid.uuid4().hex
    params = {k: _param(v) for k, v in (call.params or {}).items() if v is not None}
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if call.json is not None:
        kwargs["json"] = call.json
    return kwargs


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def retryable(call: Call[Any], kwargs: dict[str, Any]) -> bool:
    return call.method in IDEMPOTENT_METHODS or "Idempotency-Key" in kwargs["headers"]


def result(response: httpx.Response, call: Call[Any] | None = None) -> Any:
    """The result of a 2xx response (its body, parsed by the call's parser), or the typed
    error."""
    if response.status_code == 204 or not response.content:
        body: Any = None
    else:
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text[:200]}
    if not response.is_success:
        raise error_from_response(response.status_code, body, dict(response.headers))
    if call is None or call.parse is None:
        return body
    return call.parse(body, Meta(response.status_code, response.headers.get("x-request-id")))


def connection_failed(endpoint: Endpoint, failure: Exception) -> ConnectionFailed:
    """A connection error that says what to do about it, most of all for `*.localhost` names:
    browsers and curl resolve them to this machine, Python's resolver does not."""
    host = urlsplit(endpoint.base_url).hostname or ""
    message = f"could not reach {endpoint.base_url} ({type(failure).__name__}: {failure})"
    if host == "localhost" or host.endswith(".localhost"):
        message += (
            f". Python does not resolve names under .localhost ({host}) the way browsers and "
            "curl do: pass base_url= with the server's address, e.g. "
            'Greenroom(org=..., api_key=..., base_url="http://127.0.0.1:8000"); the SDK '
            "then connects there and sends the org's Host header."
        )
    return ConnectionFailed(message)


def should_retry_status(status: int) -> bool:
    return status in RETRY_STATUSES


def now() -> float:
    return time.monotonic()


def retry_delay(
    policy: RetryPolicy,
    call: Call[Any],
    kwargs: dict[str, Any],
    attempt: int,
    response: httpx.Response | None,
) -> float | None:
    """Seconds to wait before another try, or None to stop here.

    `response` is None when the connection failed. A 429 is retried for any method (the request
    was not processed); 5xx and connection errors only when repeating the call is safe.
    """
    if attempt >= policy.max_retries:
        return None
    if response is None:
        return policy.delay(attempt, None) if retryable(call, kwargs) else None
    status = response.status_code
    if not should_retry_status(status) or (status != 429 and not retryable(call, kwargs)):
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    return policy.delay(attempt, error_from_response(status, body, dict(response.headers)))
