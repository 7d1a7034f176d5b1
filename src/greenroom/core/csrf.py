"""CSRF protection for the browser-facing pages: a double-submit token bound to the host and the
browser's session.

- The browser holds a random nonce in the `csrftoken` cookie (host-only, HttpOnly, SameSite=Lax,
  Secure under https), set by the first response that renders a token.
- The token is HMAC-SHA256, under a key derived from the current server secret, of the org and
  environment the host serves (the `Host` header when no org is resolved), the values of the
  session cookies (`gr_admin`, `gr_member`; empty before log-in) and the nonce. Forms carry it in
  a hidden `csrftoken` input (first in the form, before any file input); scripts send it in the
  `x-csrftoken` header.
- Every POST, PUT, PATCH and DELETE outside the Partner API must carry the token the server
  computes from the request's own host and cookies, compared in constant time; otherwise 403
  `csrf_failed`. So a token is worth nothing on another org's host (or the other environment),
  for another browser session, or with another nonce: planting a `csrftoken` cookie (from a
  sibling subdomain, say) does not help, because the token also depends on the session cookie,
  which is HttpOnly and host-only and never leaves the victim's browser.
- A request without any cookie carries no credentials, so there is nothing to forge: it passes,
  except on the log-in forms (`always_protect`), which are checked before any session exists.
- The Partner API (`/api/`, keys in headers, no cookies) is not wrapped at all.

A token lives as long as its page: logging in or out changes the session cookie, so forms shown
before need a reload (the 403 says so); so does rotating the server secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenroom.core.errors import Forbidden, problem_response

COOKIE_NAME = "csrftoken"
FIELD_NAME = "csrftoken"
HEADER_NAME = b"x-csrftoken"
SCOPE_KEY = "greenroom.csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{43}")
# A form field before the token larger than this is refused: the token comes first.
_MAX_FIELD_BEFORE_TOKEN = 4096


class _TokenFound(Exception):
    pass


class _FileBeforeToken(Exception):
    pass


class _RequestTokens:
    """The token of one request, and whether the response must set the nonce cookie."""

    __slots__ = ("_binding", "_key", "nonce", "rendered", "set_cookie")

    def __init__(self, key: bytes, binding: bytes, nonce: str | None) -> None:
        self._key = key
        self._binding = binding
        self.set_cookie = nonce is None
        self.nonce = nonce or secrets.token_urlsafe(32)
        self.rendered = False

    def expected(self) -> str:
        mac = hmac.new(self._key, self._binding, hashlib.sha256)
        mac.update(self.nonce.encode())
        return mac.hexdigest()

    def for_page(self) -> str:
        self.rendered = True
        return self.expected()

    def matches(self, presented: str | None) -> bool:
        if not presented or self.set_cookie:  # no nonce cookie: nothing to compare with
            return False
        return hmac.compare_digest(presented.encode(), self.expected().encode())


class CSRFMiddleware:
    """Checks unsafe requests to the browser-facing pages; skips the key-authenticated API."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: bytes,
        https: bool,
        session_cookies: Iterable[str],
        always_protect: Iterable[str] = (),
        refusal: Callable[[Scope], Response] | None = None,
    ) -> None:
        """`refusal` makes the 403 sent for a missing or wrong token (a page, for browsers);
        problem+json `csrf_failed` without it."""
        self.app = app
        self.refusal = refusal
        # A key of its own, so that a token is never a valid HMAC of anything else we sign.
        self.key = hmac.new(secret, b"greenroom csrf v1", hashlib.sha256).digest()
        self.https = https
        self.session_cookies = tuple(sorted(session_cookies))
        self.always_protect = frozenset(always_protect)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        raw_cookies = b"; ".join(v for k, v in scope["headers"] if k == b"cookie")
        cookies = cookie_parser(raw_cookies.decode("latin-1")) if raw_cookies else {}
        nonce = cookies.get(COOKIE_NAME)
        tokens = _RequestTokens(
            self.key,
            self._binding(scope, cookies),
            nonce if nonce and _NONCE_RE.fullmatch(nonce) else None,
        )
        scope[SCOPE_KEY] = tokens
        send = self._sending(tokens, send)

        if scope["method"] in SAFE_METHODS or (
            not raw_cookies and scope["path"] not in self.always_protect
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if tokens.matches(headers.get(HEADER_NAME, b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        presented, replay = await _token_in_body(headers.get(b"content-type", b""), receive)
        if not tokens.matches(presented):
            if self.refusal is not None:
                await self.refusal(scope)(scope, replay, send)
            else:
                await _refuse(send)
            return
        await self.app(scope, replay, send)

    def _binding(self, scope: Scope, cookies: dict[str, str]) -> bytes:
        """What a token is bound to: the org and environment (or host), and the sessions."""
        # The Tenant that TenancyMiddleware resolved (read by name: core does not import tenancy).
        tenant = scope.get("state", {}).get("tenant")
        if tenant is not None:
            realm = f"{tenant.org_id}/{tenant.environment}"  # environment: a StrEnum
        else:
            host = dict(scope["headers"]).get(b"host", b"")
            realm = "host:" + host.decode("latin-1").lower()
        parts = [realm, *(cookies.get(name, "") for name in self.session_cookies)]
        # Length-prefixed, so that no two different lists of parts give the same bytes.
        return "".join(f"{len(part)}:{part};" for part in parts).encode()

    def _sending(self, tokens: _RequestTokens, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and tokens.rendered:
                headers = list(message.get("headers", []))
                headers.append((b"vary", b"Cookie"))
                if tokens.set_cookie:
                    headers.append((b"set-cookie", self._cookie(tokens.nonce)))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    def _cookie(self, nonce: str) -> bytes:
        cookie = f"{COOKIE_NAME}={nonce}; Path=/; HttpOnly; SameSite=Lax"
        return (cookie + "; Secure" if self.https else cookie).encode()


def csrf_token(scope: Scope) -> str:
    """The token to put in a form (the response then sets the nonce cookie if it is missing)."""
    tokens: _RequestTokens | None = scope.get(SCOPE_KEY)
    return tokens.for_page() if tokens is not None else ""


async def _refuse(send: Send) -> None:
    response = problem_response(
        Forbidden(
            "The form is missing its CSRF token or it does not match; reload the page.",
            code="csrf_failed",
        )
    )
    await send({"type": "http.response.start", "status": 403, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def _token_in_body(
    content_type: bytes, receive: Receive
) -> tuple[str | None, Callable[[], Awaitable[Message]]]:
    """The `csrftoken` form field, and a `receive` that replays what was read to find it."""
    messages: list[Message] = []

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    kind, options = parse_options_header(content_type)
    if kind == b"application/x-www-form-urlencoded":
        body = b""
        more = True
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return fields.get(FIELD_NAME), replay
    if kind == b"multipart/form-data" and options.get(b"boundary"):
        try:
            return await _multipart_token(options[b"boundary"], receive, messages), replay
        except (_FileBeforeToken, MultipartParseError):
            return None, replay
    return None, replay


async def _multipart_token(
    boundary: bytes, receive: Receive, messages: list[Message]
) -> str | None:
    """Reads parts until the `csrftoken` field ends (its value) or a file part starts (refused):
    the token must come first, so that no file is buffered before the check."""
    state: dict[str, Any] = {"header": b"", "name": None, "value": b"", "headers": {}}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        name = state["header"].lower()
        state["headers"][name] = state["headers"].get(name, b"") + data[start:end]

    def on_header_end() -> None:
        state["header"] = b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(state["headers"].get(b"content-disposition", b""))
        if b"filename" in options:
            raise _FileBeforeToken()
        state["name"], state["value"], state["headers"] = options.get(b"name"), b"", {}

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]
        if len(state["value"]) > _MAX_FIELD_BEFORE_TOKEN:
            raise _FileBeforeToken()

    def on_part_end() -> None:
        if state["name"] == FIELD_NAME.encode():
            raise _TokenFound(state["value"].decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    more = True
    try:
        while more:
            message = await receive()
            messages.append(message)
            parser.write(message.get("body", b""))
            more = message.get("more_body", False)
    except _TokenFound as found:
        return str(found.args[0])
    return None
