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

import heapq
import logging
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypeVar, Union

from greenroom.core.errors import RateLimited
from greenroom.core.settings import Settings
from greenroom.tenancy.context import OrgSnapshot

if TYPE_CHECKING:
    from greenroom.auth.ratelimit_redis import RedisStore

log = logging.getLogger("greenroom.ratelimit")
T = TypeVar("T")

# Failed log-ins: 5 in 15 minutes per account and per client address, then 429.
LOGIN_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60
REQUEST_WINDOW_SECONDS = 60


class MemoryStore:
    """Exact counters in this process's memory: synchronous, no task or thread per request.

    A heap of (expiry, key) drops expired windows as time passes, a few at a time, on the calls
    that find one due; nothing else ever scans the counters.
    """

    shared = False  # RedisStore's is True

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

    def hit_window(self, key: str, window: float) -> tuple[int, float]:
        """Count one hit in `key`'s window: the count so far, and the seconds until it resets."""
        now = self._clock()
        if self._expiries and self._expiries[0][0] <= now:
            self._sweep(now)
        entry = self._windows.get(key)
        if entry is None or entry[1] <= now:
            expires = now + window
            self._windows[key] = [1, expires]
            heapq.heappush(self._expiries, (expires, key))
            return 1, window
        entry[0] += 1
        return int(entry[0]), entry[1] - now

    def hit_windows(
        self, counters: Sequence[tuple[str, int]], window: float
    ) -> Refusal | list[tuple[int, float]]:
        """One hit in each counter in turn, stopping at the first over its limit (a Refusal);
        else each counter's (count, seconds until it resets)."""
        counts = []
        for index, (key, limit) in enumerate(counters):
            count, reset = self.hit_window(key, window)
            if count > limit:
                return Refusal(index, reset)
            counts.append((count, reset))
        return counts

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


Storage = Union[MemoryStore, "RedisStore"]


def make_storage(redis_url: str | None) -> Storage:
    if not redis_url:
        return MemoryStore()
    # Imported only when configured: redis is the optional `greenroom[redis]` extra.
    from greenroom.auth.ratelimit_redis import RedisStore

    return RedisStore(redis_url)


async def close_storage(storage: Storage) -> None:
    if not isinstance(storage, MemoryStore):
        await storage.close()


class Budget(NamedTuple):
    """What is left of the tighter of the key's and the org's budgets, for the RateLimit-*
    headers of every Partner API response (made on every request: a NamedTuple, built faster
    than a frozen dataclass)."""

    limit: int
    remaining: int
    reset: float  # seconds

    @classmethod
    def tighter(cls, limits: Sequence[int], counts: Sequence[tuple[int, float]]) -> Budget:
        budgets = [
            cls(limit, limit - count, reset)
            for limit, (count, reset) in zip(limits, counts, strict=True)
        ]
        return min(budgets, key=lambda budget: budget.remaining)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % max(1, math.ceil(self.reset))),
        ]


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

    async def hit(self, org: OrgSnapshot, key_id: str) -> Budget:
        """Spend one request of the key's and the org's budgets (the org's only when the key's
        allows), or raise 429; what is left of the tighter one."""
        key_limit = org.key_rate_limit_per_minute or self._key_default
        org_limit = org.rate_limit_per_minute or self._org_default
        memory = self._memory
        if memory is not None:
            key_count, key_reset = memory.hit_window("rl:key:" + key_id, REQUEST_WINDOW_SECONDS)
            if key_count > key_limit:
                raise _too_many(key_limit, REQUEST_WINDOW_SECONDS, key_reset, "key", _KEY_DETAIL)
            org_count, org_reset = memory.hit_window(
                "rl:org:" + org.id_text, REQUEST_WINDOW_SECONDS
            )
            if org_count > org_limit:
                raise _too_many(org_limit, REQUEST_WINDOW_SECONDS, org_reset, "org", _ORG_DETAIL)
            if key_limit - key_count <= org_limit - org_count:
                return Budget(key_limit, key_limit - key_count, key_reset)
            return Budget(org_limit, org_limit - org_count, org_reset)
        assert not isinstance(self.storage, MemoryStore)
        counted = await self.storage.hit_windows(
            (("rl:key:" + key_id, key_limit), ("rl:org:" + org.id_text, org_limit)),
            REQUEST_WINDOW_SECONDS,
        )
        if isinstance(counted, Refusal):
            if counted.index == 0:
                raise _too_many(
                    key_limit, REQUEST_WINDOW_SECONDS, counted.retry_after, "key", _KEY_DETAIL
                )
            raise _too_many(
                org_limit, REQUEST_WINDOW_SECONDS, counted.retry_after, "org", _ORG_DETAIL
            )
        return Budget.tighter((key_limit, org_limit), counted)


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
        if not isinstance(self.storage, MemoryStore):
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
        if not isinstance(self.storage, MemoryStore):
            await self.storage.clear(attempt.account)
        else:
            self.storage.clear(attempt.account)

    async def release(self, attempt: LoginAttempt) -> None:
        """The attempt was never evaluated (an error came first): it does not count."""
        if not isinstance(self.storage, MemoryStore):
            await self.storage.release(attempt.keys, attempt.member)
        else:
            self.storage.release(attempt.keys, attempt.member)
