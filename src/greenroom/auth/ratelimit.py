"""Request budgets per org and per key, and the log-in throttle.

Counters live in a store: `MemoryStore` (this process only; the default) or `RedisStore` (shared
by every process, with GREENROOM_REDIS_URL). Each decision is one atomic step, in either store:

- request budgets are fixed one-minute windows that start at a counter's first hit (one counter
  per key and one per org; the key's is spent first, and the org's only when the key's allows);
- log-ins are throttled by *reserving* the attempt before the password is verified, in a moving
  15-minute window per account (org + email) and per client address. A reservation that would
  exceed the limit is refused (429), so however many attempts arrive at once, from however many
  processes, at most the limit is ever evaluated. A failure keeps its reservation; a success
  clears the account's window and gives back its address reservation; an attempt that failed
  before the password was looked at (the database was down) gives its reservations back.

While Redis is unreachable, `RedisStore` decides in this process's memory instead (logged once
per outage, counted in /metrics), retries Redis at most once a second, and goes back to it as
soon as it answers.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from greenroom.core.errors import RateLimited
from greenroom.core.settings import Settings
from greenroom.tenancy.context import OrgSnapshot

log = logging.getLogger("greenroom.ratelimit")
T = TypeVar("T")

# Failed log-ins: 5 in 15 minutes per account and per client address, then 429.
LOGIN_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60
REQUEST_WINDOW_SECONDS = 60

# Redis: how long one command may take, how long to decide in memory after a failure before
# trying Redis again, and how often an idle pooled connection is checked (PING) before use.
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_RETRY_AFTER_SECONDS = 1.0
REDIS_HEALTH_CHECK_SECONDS = 10


class MemoryStore:
    """Exact counters in this process's memory: synchronous, no task or thread per request.

    A heap of (expiry, key) drops expired windows as time passes, a few at a time, on the calls
    that find one due; nothing else ever scans the counters.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, list[float]] = {}  # key -> [count, expires at]
        self._logs: dict[str, dict[str, float]] = {}  # key -> {reservation: expires at}, in order
        self._expiries: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._windows) + len(self._logs)

    def _sweep(self, now: float) -> None:
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            _, key = heapq.heappop(expiries)
            entry = self._windows.get(key)
            if entry is not None and entry[1] <= now:
                del self._windows[key]
            log_ = self._logs.get(key)
            if log_ is not None:
                self._prune(key, log_, now)

    def hit_window(self, key: str, limit: int, window: float) -> float | None:
        """Count one hit in `key`'s window; the seconds until it resets when over `limit`."""
        now = self._clock()
        if self._expiries and self._expiries[0][0] <= now:
            self._sweep(now)
        entry = self._windows.get(key)
        if entry is None or entry[1] <= now:
            expires = now + window
            self._windows[key] = [1, expires]
            heapq.heappush(self._expiries, (expires, key))
            return None
        entry[0] += 1
        return None if entry[0] <= limit else entry[1] - now

    def hit_windows(self, counters: Sequence[tuple[str, int]], window: float) -> Refusal | None:
        for index, (key, limit) in enumerate(counters):
            retry = self.hit_window(key, limit, window)
            if retry is not None:
                return Refusal(index, retry)
        return None

    def _prune(self, key: str, log_: dict[str, float], now: float) -> None:
        for member, at in list(log_.items()):
            if at > now:
                break
            del log_[member]
        if not log_:
            del self._logs[key]

    def reserve(
        self, keys: Sequence[str], limit: int, window: float, member: str
    ) -> Refusal | None:
        """Add `member` to every key's moving window, or to none when one is full."""
        now = self._clock()
        if self._expiries and self._expiries[0][0] <= now:
            self._sweep(now)
        for index, key in enumerate(keys):
            log_ = self._logs.get(key)
            if log_ is None:
                continue
            self._prune(key, log_, now)  # entries hold their expiry: drop the passed ones
            if len(log_) >= limit:
                return Refusal(index, next(iter(log_.values())) - now)
        expires = now + window
        for key in keys:
            self._logs.setdefault(key, {})[member] = expires
            heapq.heappush(self._expiries, (expires, key))
        return None

    def release(self, keys: Sequence[str], member: str) -> None:
        for key in keys:
            log_ = self._logs.get(key)
            if log_ is not None:
                log_.pop(member, None)
                if not log_:
                    del self._logs[key]

    def clear(self, key: str) -> None:
        self._windows.pop(key, None)
        self._logs.pop(key, None)


@dataclass(frozen=True, slots=True)
class Refusal:
    index: int  # which counter or key refused
    retry_after: float  # seconds until it allows again


# KEYS: counters, in order; ARGV[1]: window in seconds; ARGV[2...]: each counter's limit.
# Counts in each until one is over its limit: {index (1-based), ms until it resets} or {0, 0}.
_WINDOWS_LUA = """
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  if count > tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, ARGV[1])
      ttl = tonumber(ARGV[1]) * 1000
    end
    return {i, ttl}
  end
end
return {0, 0}
"""

# KEYS: moving windows (sorted sets of reservations by time); ARGV: window ms, limit, member.
# Adds the member to every window, or to none when one is full: {0, 0} or {index, ms to wait}.
# Time is the server's, so that processes on machines with different clocks agree.
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {i, tonumber(oldest[2]) + window - now}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return {0, 0}
"""

_PREFIX = "greenroom:"
# What counts as Redis being unavailable: refused or lost connections, timeouts, and any
# error answer (out of memory, loading, read-only replica): never a reason to fail a request.
_REDIS_FAILURES = (RedisError, OSError, asyncio.TimeoutError)


class RedisStore:
    """The counters in Redis, shared by every process; this process's memory while it is down.

    Connections are checked (PING) before use when idle for `REDIS_HEALTH_CHECK_SECONDS`, and a
    command that fails on a broken connection is retried once on a fresh one. When Redis still
    fails, the decision is taken in `self.memory`, and so are the next ones until Redis answers
    again (tried at most once per `REDIS_RETRY_AFTER_SECONDS`, by one request at a time).
    """

    def __init__(self, url: str) -> None:
        if url.startswith("async+"):  # the `limits` library's form, accepted as before
            url = url.removeprefix("async+")
        self.client: Redis = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self._windows = self.client.register_script(_WINDOWS_LUA)
        self._reserve = self.client.register_script(_RESERVE_LUA)
        self.memory = MemoryStore()
        self.up = True
        self._retry_at = 0.0  # monotonic; while down, when Redis may be tried again
        # For /metrics: failed Redis calls, and decisions taken in memory instead.
        self.errors = 0
        self.fallbacks = 0

    async def _call(self, in_redis: Callable[[], Awaitable[T]], in_memory: Callable[[], T]) -> T:
        if not self.up:
            now = time.monotonic()
            if now < self._retry_at:
                self.fallbacks += 1
                return in_memory()
            self._retry_at = now + REDIS_RETRY_AFTER_SECONDS  # this call probes; others wait
        try:
            result = await in_redis()
        except _REDIS_FAILURES as exc:
            self._failed(exc)
            self.fallbacks += 1
            return in_memory()
        if not self.up:
            self._recovered()
        return result

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        self._retry_at = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
        if self.up:
            self.up = False
            log.warning(
                "redis unreachable: rate limits and log-in throttles now count in each "
                "process's memory until it answers again",
                extra={"error": type(exc).__name__},
            )

    def _recovered(self) -> None:
        self.up = True
        log.warning("redis reachable again: rate limits and log-in throttles are shared again")

    async def hit_windows(self, counters: Sequence[tuple[str, int]], window: int) -> Refusal | None:
        async def in_redis() -> Refusal | None:
            keys = [_PREFIX + key for key, _ in counters]
            args = [window, *(limit for _, limit in counters)]
            index, ttl_ms = await self._windows(keys=keys, args=args)
            return None if index == 0 else Refusal(int(index) - 1, int(ttl_ms) / 1000)

        return await self._call(in_redis, lambda: self.memory.hit_windows(counters, window))

    async def reserve(
        self, keys: Sequence[str], limit: int, window: int, member: str
    ) -> Refusal | None:
        async def in_redis() -> Refusal | None:
            full = [_PREFIX + key for key in keys]
            index, wait_ms = await self._reserve(keys=full, args=[window * 1000, limit, member])
            return None if index == 0 else Refusal(int(index) - 1, int(wait_ms) / 1000)

        return await self._call(in_redis, lambda: self.memory.reserve(keys, limit, window, member))

    async def release(self, keys: Sequence[str], member: str) -> None:
        async def in_redis() -> None:
            async with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrem(_PREFIX + key, member)
                await pipe.execute()

        # Memory too: the reservation may have been made there during an outage.
        self.memory.release(keys, member)
        await self._call(in_redis, lambda: None)

    async def clear(self, key: str) -> None:
        async def in_redis() -> None:
            await self.client.delete(_PREFIX + key)

        self.memory.clear(key)
        await self._call(in_redis, lambda: None)

    async def ping(self) -> bool:
        """Whether Redis answers (for /readyz): at most once a second while it is down, and
        never for longer than one command's timeout; a success ends an outage at once."""
        if not self.up and time.monotonic() < self._retry_at:
            return False
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                await self.client.ping()
        except _REDIS_FAILURES as exc:
            self._failed(exc)
            return False
        if not self.up:
            self._recovered()
        return True

    async def close(self) -> None:
        await self.client.aclose()


Storage = MemoryStore | RedisStore


def make_storage(redis_url: str | None) -> Storage:
    return RedisStore(redis_url) if redis_url else MemoryStore()


async def close_storage(storage: Storage) -> None:
    if isinstance(storage, RedisStore):
        await storage.close()


def _too_many(limit: int, window: int, retry_after: float, scope: str, detail: str) -> RateLimited:
    retry = max(1, math.ceil(retry_after))
    return RateLimited(
        detail,
        headers={
            "Retry-After": str(retry),
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(retry),
            "RateLimit-Policy": f"{limit};w={window}",
        },
        extra={"limit_scope": scope},
    )


_KEY_DETAIL = "This API key made too many requests."
_ORG_DETAIL = "Your organization made too many requests."


class RequestLimiter:
    """Fixed one-minute windows per key and per org (cheap: one counter each)."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        # The per-process store is called synchronously: no coroutine, no await, no task.
        self._memory = storage if isinstance(storage, MemoryStore) else None
        self._org_default = settings.rate_limit_per_minute
        self._key_default = settings.key_rate_limit_per_minute

    async def hit(self, org: OrgSnapshot, key_id: str) -> None:
        """Spend one request of the key's and the org's budgets, or raise 429."""
        key_limit = org.key_rate_limit_per_minute or self._key_default
        org_limit = org.rate_limit_per_minute or self._org_default
        memory = self._memory
        if memory is not None:
            retry = memory.hit_window("rl:key:" + key_id, key_limit, REQUEST_WINDOW_SECONDS)
            if retry is not None:
                raise _too_many(key_limit, REQUEST_WINDOW_SECONDS, retry, "key", _KEY_DETAIL)
            retry = memory.hit_window("rl:org:" + org.id_text, org_limit, REQUEST_WINDOW_SECONDS)
            if retry is not None:
                raise _too_many(org_limit, REQUEST_WINDOW_SECONDS, retry, "org", _ORG_DETAIL)
            return
        assert isinstance(self.storage, RedisStore)
        refused = await self.storage.hit_windows(
            (("rl:key:" + key_id, key_limit), ("rl:org:" + org.id_text, org_limit)),
            REQUEST_WINDOW_SECONDS,
        )
        if refused is not None:
            if refused.index == 0:
                raise _too_many(
                    key_limit, REQUEST_WINDOW_SECONDS, refused.retry_after, "key", _KEY_DETAIL
                )
            raise _too_many(
                org_limit, REQUEST_WINDOW_SECONDS, refused.retry_after, "org", _ORG_DETAIL
            )


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A reserved log-in attempt: counted as a failure unless `succeeded` or `release`d."""

    account: str
    keys: tuple[str, ...]  # the account's window, then the client address's (when known)
    member: str


class LoginThrottle:
    """At most `LOGIN_LIMIT` log-in attempts per account (org + email) and per client address
    in any `LOGIN_WINDOW_SECONDS`, reserved before the password is verified."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def reserve(self, org_id: uuid.UUID, email: str, address: str | None) -> LoginAttempt:
        """Reserve one attempt in the account's and the address's windows, or raise 429."""
        account = f"login:account:{org_id}:{email.strip().lower()}"
        keys = (account, f"login:address:{address}") if address else (account,)
        attempt = LoginAttempt(account, keys, uuid.uuid4().hex)
        if isinstance(self.storage, RedisStore):
            refused = await self.storage.reserve(
                keys, LOGIN_LIMIT, LOGIN_WINDOW_SECONDS, attempt.member
            )
        else:
            refused = self.storage.reserve(keys, LOGIN_LIMIT, LOGIN_WINDOW_SECONDS, attempt.member)
        if refused is not None:
            raise _too_many(
                LOGIN_LIMIT,
                LOGIN_WINDOW_SECONDS,
                refused.retry_after,
                "login",
                "Too many failed log-ins; try again later.",
            )
        return attempt

    async def succeeded(self, attempt: LoginAttempt) -> None:
        """The right password: the account's failures are forgotten, and the address gets its
        reservation back (only failures count against an address)."""
        await self.release(attempt)
        if isinstance(self.storage, RedisStore):
            await self.storage.clear(attempt.account)
        else:
            self.storage.clear(attempt.account)

    async def release(self, attempt: LoginAttempt) -> None:
        """The attempt was never evaluated (an error came first): it does not count."""
        if isinstance(self.storage, RedisStore):
            await self.storage.release(attempt.keys, attempt.member)
        else:
            self.storage.release(attempt.keys, attempt.member)
