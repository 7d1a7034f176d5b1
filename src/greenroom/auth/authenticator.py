"""The per-process state of authentication: parsed secrets, the key cache, rate limits, and the
throttled `last_used_at` writes. One instance lives on `app.state.authenticator`.

On a cache hit the hot path does no database round trip: one HMAC, a dict look-up and the rate
limit counters. Key use is noted in memory (at most once a minute per key) and written a few
seconds later, every key used meanwhile in one transaction, never by the request itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from greenroom.audit import service as audit
from greenroom.auth import tokens
from greenroom.auth.errors import InvalidToken
from greenroom.auth.ratelimit import LoginThrottle, RequestLimiter, close_storage, make_storage
from greenroom.core import clock
from greenroom.core.db import Database
from greenroom.core.security import hmac_digest
from greenroom.core.settings import Settings
from greenroom.core.writebehind import WriteBehind
from greenroom.keys import service as keys
from greenroom.keys.cache import KeyCache, KeyRecord
from greenroom.tenancy.context import Tenant

log = logging.getLogger("greenroom.auth")


T = TypeVar("T")


async def _single_flight(
    pending: dict[str, asyncio.Future[T]], key: str, load: Callable[[], Awaitable[T]]
) -> T:
    """One look-up per key at a time: when a cache entry expires under load, the requests that
    arrive meanwhile wait for that look-up instead of all queueing at the database."""
    running = pending.get(key)
    if running is not None:
        return await asyncio.shield(running)
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    pending[key] = future
    try:
        result = await load()
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved here, so a failure nobody waited for is not reported
        raise
    else:
        future.set_result(result)
        return result
    finally:
        del pending[key]


class Authenticator:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.server_secrets = settings.server_secrets
        self.signing_secret = self.server_secrets[0]
        self.database = database
        self.cache = KeyCache(settings.auth_cache_seconds)
        self.access_cache = tokens.new_access_cache(settings.auth_cache_seconds)
        storage = make_storage(settings.redis_url)
        self.limiter = RequestLimiter(storage, settings)
        self.login_throttle = LoginThrottle(storage)
        # When this process last noted a use, per key; the noted uses are written behind.
        self._touched: dict[uuid.UUID, datetime] = {}
        self.key_uses: WriteBehind[uuid.UUID, datetime] = WriteBehind(
            database.writer, keys.record_uses, what="key uses"
        )
        # Audit entries of failed log-ins (admin area and API): written together, a moment
        # later, so that a burst of guesses never takes the write lock once per guess.
        self.failed_logins: WriteBehind[uuid.UUID, dict[str, Any]] = WriteBehind(
            database.writer, audit.write_later, what="failed log-ins' audit entries"
        )
        self._pending: set[asyncio.Task[None]] = set()
        self._lookups: dict[str, asyncio.Future[KeyRecord | None]] = {}
        self._token_lookups: dict[str, asyncio.Future[tokens.AccessRecord | None]] = {}

    @asynccontextmanager
    async def session_for(self, request: Request) -> AsyncIterator[AsyncSession]:
        """The request's own session when the endpoint already opened one (one session per
        request), else a short read-only one of our own, closed at once."""
        shared = getattr(request.state, "db_session", None)
        if isinstance(shared, AsyncSession):
            yield shared
            return
        async with self.database.reader() as session:
            yield session

    async def resolve_key(self, request: Request, presented: str) -> KeyRecord | None:
        """The key record for `presented` (any state), from the cache when fresh."""
        digest = hmac_digest(self.signing_secret, presented)
        hit, record = self.cache.get(digest)
        if hit:
            return record

        async def load() -> KeyRecord | None:
            async with self.session_for(request) as session:
                key = await keys.find_key(session, self.server_secrets, presented)
            return KeyRecord.of(key) if key is not None else None

        record = await _single_flight(self._lookups, digest, load)
        self.cache.put(digest, record)
        if record is not None and record.secret_version != self.signing_secret.version:
            # Presented in full right now: re-hash it under the current secret, so that the old
            # secret can be retired without every partner rolling their keys.
            self._background(self._rehash(record, digest))
        return record

    async def _rehash(self, record: KeyRecord, digest: str) -> None:
        try:
            async with self.database.writer() as session, session.begin():
                await keys.rehash(
                    session, record.id, record.secret_version, digest, self.signing_secret.version
                )
        except Exception:  # best effort, retried at the next cache miss
            log.warning("could not re-hash key", exc_info=True)

    async def resolve_bearer(
        self, request: Request, tenant: Tenant, token: str
    ) -> tokens.AccessRecord:
        """The access token's record, or InvalidToken (cached like keys, by digest)."""
        digest = hmac_digest(self.signing_secret, token)
        hit, record = self.access_cache.get(digest)
        if not hit:

            async def load() -> tokens.AccessRecord | None:
                async with self.session_for(request) as session:
                    return await tokens.lookup_access(session, self.server_secrets, token)

            record = await _single_flight(self._token_lookups, digest, load)
            self.access_cache.put(digest, record)
        if record is None or not record.valid_for(tenant, clock.now()):
            raise InvalidToken()
        return record

    def note_use(self, record: KeyRecord, now: datetime) -> None:
        """Note a use for the next batched last_used_at write, unless one was noted (here or, per
        the row, anywhere) within the last minute. Never awaited by the request."""
        last = self._touched.get(record.id) or record.last_used_at
        if last is not None and now - last < keys.LAST_USED_RESOLUTION:
            return
        if len(self._touched) > 100_000:
            self._touched.clear()
        self._touched[record.id] = now
        self.key_uses.note(record.id, now)

    def _background(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Write the noted key uses now, and wait for other pending work (shutdown, tests)."""
        await self.key_uses.flush()
        await self.failed_logins.flush()
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        await close_storage(self.limiter.storage)
