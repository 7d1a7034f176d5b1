"""Pure ASGI middleware: request ids and access logs, body size and content type limits.

Pure ASGI (not BaseHTTPMiddleware) keeps the hot path cheap and lets bodies stream.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenroom.core.errors import (
    AppError,
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    problem_response,
)
from greenroom.core.forms import FORM_CONTENT_TYPE, ListFields, MalformedForm, form_to_json
from greenroom.core.logging import (
    access_log,
    environment_var,
    key_id_var,
    org_var,
    request_id_var,
)
from greenroom.core.outages import refused_text_response, unavailable_response

error_log = logging.getLogger("greenroom.errors")
# Headers a layer below decided on for the response, whatever it turns out to be (the rate-limit
# budget, for one): a list of (name, value) in the ASGI scope.
EXTRA_RESPONSE_HEADERS = "greenroom.response_headers"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _new_id_prefix() -> str:
    return secrets.token_hex(8)


_id_prefix = _new_id_prefix()
_id_counter = itertools.count(1)


def _reseed() -> None:
    global _id_prefix, _id_counter
    _id_prefix, _id_counter = _new_id_prefix(), itertools.count(1)


# A forked worker must not hand out its parent's ids.
os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    """32 hex characters: a random per-process prefix and a counter. Unique, and cheaper than
    reading the system's random source on every request (ids need not be unguessable)."""
    return f"{_id_prefix}{next(_id_counter):016x}"


class RequestContextMiddleware:
    """Gives every request an id (the client's when sane), echoes it with the security headers,
    logs one access line and counts the response in the metrics.

    The access line carries the path without its query string: SSO tokens travel there.
    """

    def __init__(
        self,
        app: ASGIApp,
        on_response: Callable[[str, int, float], None] | None = None,
        response_headers: Callable[[str], list[tuple[bytes, bytes]]] = lambda _path: [],
    ):
        self.app = app
        self.on_response = on_response
        self.response_headers = response_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = (
            incoming if incoming and _SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
        )
        tokens = [
            request_id_var.set(request_id),
            org_var.set(None),
            environment_var.set(None),
            key_id_var.set(None),
        ]
        started = time.perf_counter()
        status = 500
        status_sent = False
        extra_headers = [
            (b"x-request-id", request_id.encode()),
            *self.response_headers(scope["path"]),
        ]

        async def send_wrapper(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                headers = list(message.get("headers", ()))
                # ASGI header names are lowercase: the response's own win over ours.
                present = {name for name, _ in headers}
                for header in (*extra_headers, *scope.get(EXTRA_RESPONSE_HEADERS, ())):
                    if header[0] not in present:
                        headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            # Handled here rather than by Starlette's outermost handler so that the 500 still
            # carries the request id, in its header, its body and the log line. An unreachable
            # database (in a middleware's query) is a 503, not a 500, and text PostgreSQL
            # refuses (a NUL) a 400 (core/outages.py).
            known = unavailable_response(scope, exc) or refused_text_response(scope, exc)
            if known is None:
                error_log.error("unhandled error", exc_info=exc)
            if status_sent:
                raise
            if known is not None:
                await known(scope, receive, send_wrapper)
            else:
                await send_wrapper_problem(send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            access_log.write(scope["method"], scope["path"], status, round(elapsed * 1000, 2))
            if self.on_response:
                self.on_response(scope["method"], status, elapsed)
            request_id_var.reset(tokens[0])
            org_var.reset(tokens[1])
            environment_var.reset(tokens[2])
            key_id_var.reset(tokens[3])


def _utf8_charset(params: bytes) -> bool:
    """Whether a Content-Type's parameters declare no charset or UTF-8 (JSON is UTF-8, RFC 8259;
    a body declared otherwise would be read as something it is not)."""
    for param in params.split(b";"):
        name, _, value = param.partition(b"=")
        if name.strip().lower() == b"charset":
            return value.strip().strip(b'"').lower() in (b"utf-8", b"utf8")
    return True


class BodyLimitMiddleware:
    """413 for bodies over the limit (by Content-Length up front, or while streaming), and 415
    for API writes whose body is neither JSON nor form-encoded. A form-encoded API body is
    handed on as the JSON it stands for (`core.forms`), read when the route reads its body:
    after authentication, like any body."""

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], int],
        form_lists: ListFields = lambda _path: frozenset(),
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.form_lists = form_lists

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        error: AppError | None = None
        if declared is not None:
            if not declared.isdigit():
                error = BadRequest("Invalid Content-Length header.")
            elif int(declared) > limit:
                error = PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")
        has_body = (declared not in (None, b"0")) or b"transfer-encoding" in headers
        form = False
        if error is None and has_body and scope["path"].startswith("/api/"):
            ctype, _, params = headers.get(b"content-type", b"").partition(b";")
            ctype = ctype.strip().lower()
            if ctype == FORM_CONTENT_TYPE:
                form = True
                charset = params.strip().lower().removeprefix(b"charset=").strip(b'"')
                if params.strip() and charset not in (b"utf-8", b"utf8"):
                    error = UnsupportedMediaType("Send form-encoded bodies in UTF-8.")
            elif not (ctype == b"application/json" or ctype.endswith(b"+json")):
                error = UnsupportedMediaType()
            elif not _utf8_charset(params):
                error = UnsupportedMediaType("JSON bodies are UTF-8: send charset=utf-8 or none.")
        if error is not None:
            await problem_response(error)(scope, receive, send)
            return

        received = 0
        # An error met while the route reads the body: whatever the framework answers about the
        # failed read, the client gets this one.
        replacement: AppError | None = None
        too_large = PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")

        async def limited_receive() -> Message:
            nonlocal received, replacement
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    replacement = too_large
                    raise too_large
            return message

        async def form_receive() -> Message:
            """The whole form body at the first read, as JSON."""
            nonlocal replacement
            chunks = []
            while True:
                message = await limited_receive()
                if message["type"] != "http.request":
                    return message  # the client went away
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            try:
                body = form_to_json(b"".join(chunks), self.form_lists(scope["path"]))
            except MalformedForm as exc:
                replacement = exc
                raise
            return {"type": "http.request", "body": body, "more_body": False}

        async def replacing_send(message: Message) -> None:
            # The framework may turn the failed read into a response of its own (a 400 "error
            # parsing the body"); whatever it says, the client gets ours.
            if replacement is None:
                await send(message)
            elif message["type"] == "http.response.start":
                response = problem_response(replacement)
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": response.raw_headers,
                    }
                )
                await send({"type": "http.response.body", "body": response.body})

        if form:
            scope = {**scope, "headers": _as_json(scope["headers"])}
        try:
            await self.app(scope, form_receive if form else limited_receive, replacing_send)
        except AppError as exc:
            if exc is not replacement:
                raise
            await replacing_send({"type": "http.response.start"})


def _as_json(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A form request's headers as those of the JSON body it is handed on as (its length is
    not known until the body is read)."""
    kept = [(k, v) for k, v in headers if k not in (b"content-type", b"content-length")]
    return [*kept, (b"content-type", b"application/json")]


async def send_wrapper_problem(send: Send) -> None:
    body = problem_response(AppError())
    await send(
        {"type": "http.response.start", "status": body.status_code, "headers": body.raw_headers}
    )
    await send({"type": "http.response.body", "body": body.body})
