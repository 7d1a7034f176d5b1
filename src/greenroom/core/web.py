"""What every browser-facing page shares: security headers and CSRF protection.

CSRF uses the maintained `asgi-csrf` middleware (signed double-submit cookie). Forms carry the
token in a hidden `csrftoken` input (first in the form, before any file input); scripts send it in
the `x-csrftoken` header. The Partner API (`/api/`, authenticated by keys, not cookies) is exempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import asgi_csrf as _asgi_csrf_module
from asgi_csrf import FileBeforeToken, TokenFound, asgi_csrf
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenroom.core.errors import Forbidden, problem_response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(*, https: bool) -> list[tuple[bytes, bytes]]:
    """Headers every response carries unless it set its own (added by `RequestContextMiddleware`,
    in the same pass as the request id, rather than by a middleware layer of their own)."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", CSP.encode()),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


async def _csrf_failed(scope: Scope, send: Send, _error: object) -> None:
    response = problem_response(
        Forbidden(
            "The form is missing its CSRF token or it does not match; reload the page.",
            code="csrf_failed",
        )
    )
    await send({"type": "http.response.start", "status": 403, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def _find_multipart_token(
    boundary: bytes, receive: Receive
) -> tuple[str | None, Callable[[], Awaitable[Message]]]:
    """asgi-csrf's multipart scan, rewritten for python-multipart >= 0.0.13 (asgi-csrf 0.11 passes
    a `FileClass` argument that newer versions refuse, so every multipart POST failed with 500).

    Reads parts until the `csrftoken` field ends (returns it) or a file part starts (refused):
    the token must come first, so a file is never buffered before the check.
    """
    messages: list[Message] = []
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
            raise FileBeforeToken()
        state["name"], state["value"], state["headers"] = options.get(b"name"), b"", {}

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]
        if len(state["value"]) > 4096:
            raise FileBeforeToken()

    def on_part_end() -> None:
        if state["name"] == b"csrftoken":
            raise TokenFound(state["value"].decode("utf-8", "replace"))

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

    async def replay_receive() -> Message:
        return messages.pop(0) if messages else await receive()

    more_body = True
    try:
        while more_body:
            message = await receive()
            messages.append(message)
            parser.write(message.get("body", b""))
            more_body = message.get("more_body", False)
    except TokenFound as found:
        return str(found.args[0]), replay_receive
    return None, replay_receive


_asgi_csrf_module._parse_multipart_form_data = _find_multipart_token


class CSRFMiddleware:
    """`asgi-csrf` as a Starlette middleware class, skipping the key-authenticated API."""

    def __init__(
        self, app: ASGIApp, *, secret: bytes, https: bool, always_protect: Iterable[str] = ()
    ) -> None:
        self.api_app = app
        self.app = asgi_csrf(
            app,
            signing_secret=secret.hex(),
            skip_if_scope=lambda scope: scope["path"].startswith("/api/"),
            always_protect=set(always_protect),
            cookie_secure=https,
            cookie_samesite="Lax",
            send_csrf_failed=_csrf_failed,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The API bypasses the wrapper altogether: it would sign a token on every request.
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            await self.api_app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def csrf_token(scope: Scope) -> str:
    """The token to put in a form (sets the cookie on the response if it is not there yet)."""
    getter = scope.get("csrftoken")
    return getter() if getter else ""
