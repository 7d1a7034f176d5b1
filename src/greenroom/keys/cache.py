"""The per-process cache of key look-ups that keeps the authenticated hot path off the database.

Entries live at most `auth_cache_seconds` (5 s at most), so a key revoked by another process is
refused everywhere within that bound; the process that revokes drops the entry at once. Unknown
keys are cached too, so that a flood of made-up keys does not become a flood of queries.
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from greenroom.core.ttlcache import TTLCache
from greenroom.keys.models import ApiKey, is_usable
from greenroom.keys.scopes import Scope


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authentication needs to know about a key: an immutable copy of its row."""

    id: uuid.UUID
    org_id: uuid.UUID
    environment: str
    name: str
    last4: str
    scopes: frozenset[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    secret_version: str
    # str(id), made once: the hot path logs it and counts requests under it.
    id_text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id_text", str(self.id))

    @classmethod
    def of(cls, key: ApiKey) -> KeyRecord:
        return cls(
            id=key.id,
            org_id=key.org_id,
            environment=key.environment,
            name=key.name,
            last4=key.last4,
            scopes=frozenset(Scope(s) for s in key.scopes),
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            secret_version=key.secret_version,
        )

    def usable_at(self, now: datetime) -> bool:
        return is_usable(self, now)


_caches: weakref.WeakSet[KeyCache] = weakref.WeakSet()


class KeyCache:
    """Key records by the digest of the presented key (never by the key itself)."""

    def __init__(self, ttl_seconds: float) -> None:
        self._entries: TTLCache[str, KeyRecord | None] = TTLCache(ttl_seconds)
        _caches.add(self)

    def get(self, digest: str) -> tuple[bool, KeyRecord | None]:
        return self._entries.get(digest)

    def put(self, digest: str, record: KeyRecord | None) -> None:
        self._entries.put(digest, record)

    def forget_key(self, key_id: uuid.UUID) -> None:
        self._entries.drop_where(lambda record: record is not None and record.id == key_id)


def forget_everywhere(key_id: uuid.UUID) -> None:
    """Drop `key_id` from every cache in this process (called on revoke and roll)."""
    for cache in list(_caches):
        cache.forget_key(key_id)
