"""Request budgets per org and per key, and the log-in throttle, on the `limits` library.

In memory by default (each process has its own budget); with GREENROOM_REDIS_URL every process
shares one budget through Redis.
"""

from __future__ import annotations

import math
import time
import uuid

from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.storage import storage_from_string

from greenroom.core.errors import RateLimited
from greenroom.core.settings import Settings
from greenroom.tenancy.context import OrgSnapshot

# Failed log-ins: 5 in 15 minutes per account and per client address, then 429.
LOGIN_FAILURES = parse("5/15minute")


def make_storage(redis_url: str | None) -> Storage:
    if not redis_url:
        return MemoryStorage()
    url = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
    storage = storage_from_string(url, implementation="redispy")
    assert isinstance(storage, Storage)
    return storage


async def close_storage(storage: Storage) -> None:
    """Close a Redis storage's connections (limits has no public close for them)."""
    client = getattr(getattr(storage, "bridge", None), "storage", None)
    closer = getattr(client, "aclose", None)
    if closer is not None:
        await closer()


def _too_many(item: RateLimitItem, reset_at: float, scope: str, detail: str) -> RateLimited:
    retry_after = max(1, math.ceil(reset_at - time.time()))
    limit = item.amount
    window = item.get_expiry()
    return RateLimited(
        detail,
        headers={
            "Retry-After": str(retry_after),
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(retry_after),
            "RateLimit-Policy": f"{limit};w={window}",
        },
        extra={"limit_scope": scope},
    )


class RequestLimiter:
    """Fixed one-minute windows per org and per key (cheap: one counter each)."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self._strategy = FixedWindowRateLimiter(storage)
        self._org_default = settings.rate_limit_per_minute
        self._key_default = settings.key_rate_limit_per_minute
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, per_minute: int) -> RateLimitItem:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    async def hit(self, org: OrgSnapshot, key_id: str) -> None:
        """Spend one request of the key's and the org's budgets, or raise 429."""
        key_item = self._item(org.key_rate_limit_per_minute or self._key_default)
        if not await self._strategy.hit(key_item, "key", key_id):
            stats = await self._strategy.get_window_stats(key_item, "key", key_id)
            raise _too_many(
                key_item, stats.reset_time, "key", "This API key made too many requests."
            )
        org_item = self._item(org.rate_limit_per_minute or self._org_default)
        if not await self._strategy.hit(org_item, "org", org.id_text):
            stats = await self._strategy.get_window_stats(org_item, "org", org.id_text)
            raise _too_many(
                org_item, stats.reset_time, "org", "Your organization made too many requests."
            )


class LoginThrottle:
    """Counts failed log-ins per account (org + email) and per client address."""

    def __init__(self, storage: Storage) -> None:
        self._strategy = MovingWindowRateLimiter(storage)

    def _keys(self, org_id: uuid.UUID, email: str, address: str | None) -> list[tuple[str, ...]]:
        keys: list[tuple[str, ...]] = [("login-account", str(org_id), email.strip().lower())]
        if address:
            keys.append(("login-address", address))
        return keys

    async def check(self, org_id: uuid.UUID, email: str, address: str | None) -> None:
        for ids in self._keys(org_id, email, address):
            if not await self._strategy.test(LOGIN_FAILURES, *ids):
                stats = await self._strategy.get_window_stats(LOGIN_FAILURES, *ids)
                raise _too_many(
                    LOGIN_FAILURES,
                    stats.reset_time,
                    "login",
                    "Too many failed log-ins; try again later.",
                )

    async def failed(self, org_id: uuid.UUID, email: str, address: str | None) -> None:
        for ids in self._keys(org_id, email, address):
            await self._strategy.hit(LOGIN_FAILURES, *ids)

    async def succeeded(self, org_id: uuid.UUID, email: str) -> None:
        await self._strategy.clear(LOGIN_FAILURES, "login-account", str(org_id), email.lower())
