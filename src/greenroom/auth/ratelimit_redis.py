"""The rate-limit and log-in counters in Redis (`GREENROOM_REDIS_URL`), shared by every process.

Imported only when Redis is configured: redis is the optional `greenroom[redis]` extra. See
`auth.ratelimit` for what is counted and how each decision is one atomic step.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from greenroom.auth.ratelimit import MemoryStore, Refusal

log = logging.getLogger("greenroom.ratelimit")
T = TypeVar("T")

# Redis: how long one command may take, how long to decide in memory after a failure before
# trying Redis again, and how often an idle pooled connection is checked (PING) before use.
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_RETRY_AFTER_SECONDS = 1.0
REDIS_HEALTH_CHECK_SECONDS = 10

# KEYS: counters, in order; ARGV[1]: window in seconds; ARGV[2...]: each counter's limit.
# Counts in each until one is over its limit: {index (1-based), ms until it resets}, else
# {0, count 1, ms until it resets 1, count 2, ...}.
_WINDOWS_LUA = """
local counted = {0}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1]) * 1000
  end
  if count > tonumber(ARGV[i + 1]) then return {i, ttl} end
  table.insert(counted, count)
  table.insert(counted, ttl)
end
return counted
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

    shared = True

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

    async def hit_windows(
        self, counters: Sequence[tuple[str, int]], window: int
    ) -> Refusal | list[tuple[int, float]]:
        async def in_redis() -> Refusal | list[tuple[int, float]]:
            keys = [_PREFIX + key for key, _ in counters]
            args = [window, *(limit for _, limit in counters)]
            answer = await self._windows(keys=keys, args=args)
            if answer[0] != 0:
                return Refusal(int(answer[0]) - 1, int(answer[1]) / 1000)
            return [(int(answer[i]), int(answer[i + 1]) / 1000) for i in range(1, len(answer), 2)]

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
