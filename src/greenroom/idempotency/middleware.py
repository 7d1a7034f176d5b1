"""`Idempotency-Key` on every POST under /api/ (docs/partner-api.md, Conventions), for present and
future routes.

The first response to a key is stored in the database and replayed for 24 hours; the same key
with a different request (method, path, query or JSON body) is 409 `idempotency_key_reused`.
Records are scoped by org, environment, the credentials presented and the key, so nobody can
replay another caller's response. A second request arriving while the first still runs waits
for it (a few seconds) and gets its response, or 409 `idempotency_in_progress`: the work never
runs twice. Responses that say nothing final (5xx, 401, 403, 429) are not kept, so a retry runs.
Whatever is answered from the store goes only to credentials that still pass the route's checks:
a key revoked or expired since gets 401, as a fresh request would.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenroom.auth.guard import ApiRoute, authorize
from greenroom.core.errors import AppError, BadRequest, Conflict, problem_response
from greenroom.core.security import hmac_digest
from greenroom.core.settings import ServerSecret
from greenroom.idempotency import repository
from greenroom.idempotency.sealing import open_sealed, open_text, seal, seal_text
from greenroom.keys.scopes import Scope as ApiScope
from greenroom.tenancy.context import Tenant

HEADER = b"idempotency-key"
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
NOT_KEPT = frozenset({401, 403, 408, 429})
KEPT_HEADERS = (b"content-type", b"location")
WAIT_SECONDS = 10.0


class InvalidIdempotencyKey(BadRequest):
    code = "invalid_idempotency_key"
    default_detail = "Idempotency-Key must be 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used with a different request."


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_detail = "A request with this Idempotency-Key is still running; retry shortly."


def _fingerprint(scope: Scope, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
        canonical = body
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def _required_scope(scope: Scope) -> tuple[bool, ApiScope | None]:
    """Whether a route takes the request (else the router answers 404 or 405, with or without
    credentials), and the scope it declares (the router's first full match). None for a route
    that needs only a valid key, and for anything that is not an `ApiRoute`: a valid key is
    still required there, as on every Partner API route."""
    for route in scope["app"].router.routes:
        if route.matches(scope)[0] == Match.FULL:
            return True, route.required_scope if isinstance(route, ApiRoute) else None
    return False, None


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        sessions: async_sessionmaker[AsyncSession],
        secret: Callable[[], ServerSecret],
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        keys = [v for k, v in headers if k == HEADER]
        tenant = scope.get("state", {}).get("tenant")
        if not keys or not isinstance(tenant, Tenant):
            await self.app(scope, receive, send)
            return
        # The caller first, as every route checks it (docs/authentication.md): a request
        # without valid credentials gets its 401 (403 without the route's scope) before its
        # body or its key is looked at, and writes nothing. The route then finds the caller
        # checked (`authenticate` runs once per request).
        routed, required = _required_scope(scope)
        if not routed:
            await self.app(scope, receive, send)  # nothing there to run twice
            return
        try:
            await authorize(Request(scope), required)
        except AppError as refused:
            await problem_response(refused)(scope, receive, send)
            return
        key = keys[0].decode("latin-1")
        if len(keys) > 1 or not _KEY_RE.fullmatch(key):
            await problem_response(InvalidIdempotencyKey())(scope, receive, send)
            return

        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        credentials = b"\n".join(v for k, v in headers if k in (b"authorization", b"x-api-key"))
        record_scope = repository.Scope(
            org_id=tenant.org_id,
            environment=tenant.environment.value,
            credential_hash=hmac_digest(self.secret(), credentials.decode("latin-1")),
            key=key,
        )
        fingerprint = _fingerprint(scope, body)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        delay = 0.02
        waited = False
        while True:
            claim = await repository.claim(self.sessions, record_scope, fingerprint)
            if claim.outcome != "busy" or loop.time() >= deadline:
                break
            waited = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)

        if claim.outcome != "run" and waited:
            # Answered here after a wait for the first request: the key may have been revoked
            # meanwhile, so the caller is checked again, as a fresh request would be.
            try:
                await authorize(Request(scope), required, again=True)
            except AppError as refused:
                await problem_response(refused)(scope, receive, send)
                return
        if claim.outcome in ("mismatch", "busy"):
            error: AppError = (
                IdempotencyKeyReused() if claim.outcome == "mismatch" else IdempotencyInProgress()
            )
            await problem_response(error)(scope, receive, send)
            return
        if claim.outcome == "replay":
            await self._replay(claim, credentials, send)
            return
        assert claim.record_id is not None
        await self._run(scope, body, send, claim.record_id, credentials)

    async def _replay(self, claim: repository.Claim, credentials: bytes, send: Send) -> None:
        assert claim.record_id is not None and claim.body is not None
        stored = json.loads(open_text(credentials, claim.record_id.bytes, claim.headers or "[]"))
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored]
        raw.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": claim.status, "headers": raw})
        body = open_sealed(credentials, claim.record_id.bytes, claim.body)
        await send({"type": "http.response.body", "body": body})

    async def _run(
        self, scope: Scope, body: bytes, send: Send, record_id: uuid.UUID, credentials: bytes
    ) -> None:
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 500
        kept: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() in KEPT_HEADERS:
                        kept.append((name.decode("latin-1"), value.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await asyncio.shield(repository.release(self.sessions, record_id))
            raise
        if status >= 500 or status in NOT_KEPT:
            await repository.release(self.sessions, record_id)
        else:
            await repository.complete(
                self.sessions,
                record_id,
                status,
                seal_text(credentials, record_id.bytes, json.dumps(kept)),
                seal(credentials, record_id.bytes, b"".join(chunks)),
            )
