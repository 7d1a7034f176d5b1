"""A tiny per-process cache with a time bound, for hot look-ups (orgs, keys)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._data: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> tuple[bool, V | None]:
        item = self._data.get(key)
        if item is None:
            return False, None
        expires, value = item
        if time.monotonic() >= expires:
            self._data.pop(key, None)
            return False, None
        return True, value

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        if len(self._data) >= self.max_entries:
            self._data.clear()  # crude but bounded; entries live seconds anyway
        self._data[key] = (time.monotonic() + self.ttl, value)

    def drop(self, key: K) -> None:
        self._data.pop(key, None)

    def drop_where(self, predicate: Callable[[V], bool]) -> None:
        for key in [k for k, (_, v) in self._data.items() if predicate(v)]:
            self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()
