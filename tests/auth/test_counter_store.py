"""The per-process counter store: exact counts, expired windows dropped as time passes, and no
task, thread or await per request (time is a fake clock here, moved by hand)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from greenroom.auth.ratelimit import MemoryStore, RequestLimiter
from greenroom.core.errors import RateLimited
from greenroom.core.settings import Settings
from tests.auth.test_shared_rate_limits import _org


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_counts_exactly_and_says_when_it_resets() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    assert [store.hit_window("k", 60)[0] for _ in range(3)] == [1, 2, 3]
    clock.now += 20
    count, reset = store.hit_window("k", 60)
    assert count == 4 and reset == pytest.approx(40)
    assert store.hit_window("other", 60) == (1, 60)  # counters are independent
    clock.now += 40  # the window has passed: a new one starts
    assert store.hit_window("k", 60) == (1, 60)


def test_expired_windows_are_dropped_as_time_passes() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    for n in range(1000):
        store.hit_window(f"key-{n}", 60)
    assert len(store) == 1000
    clock.now += 61
    store.hit_window("fresh", 60)
    assert len(store) == 1


def test_reservations_never_exceed_the_limit_and_free_up_as_the_window_moves() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    keys = ("account", "address")
    granted = []
    for n in range(100):
        clock.now += 1
        if store.reserve(keys, 5, 900, f"m{n}") is None:
            granted.append(n)
    assert granted == [0, 1, 2, 3, 4]
    refused = store.reserve(keys, 5, 900, "late")
    assert refused is not None and refused.index == 0
    assert refused.retry_after == pytest.approx(1001 + 900 - 1100)  # when the oldest leaves
    store.release(keys, "m4")  # given back: one more fits
    assert store.reserve(keys, 5, 900, "again") is None
    assert store.reserve(keys, 5, 900, "full") is not None
    clock.now = 1001 + 900  # the oldest reservation (made at 1001) has left the window
    assert store.reserve(keys, 5, 900, "moved") is None
    store.clear("account")
    assert store.reserve(("account",), 5, 900, "cleared") is None


def test_a_full_key_refuses_without_reserving_in_the_others() -> None:
    store = MemoryStore(FakeClock())
    for n in range(5):
        assert store.reserve(("address",), 5, 900, f"a{n}") is None
    refused = store.reserve(("account", "address"), 5, 900, "x")
    assert refused is not None and refused.index == 1
    assert refused.retry_after == pytest.approx(900)
    # The account's window got nothing from the refused attempt.
    for n in range(5):
        assert store.reserve(("account",), 5, 900, f"b{n}") is None


async def test_the_in_memory_limiter_starts_no_task_or_thread() -> None:
    limiter = RequestLimiter(MemoryStore(), Settings())
    org, key_id = _org(key_limit=1000, org_limit=1000), str(uuid.uuid4())
    tasks, threads = len(asyncio.all_tasks()), threading.active_count()
    for _ in range(1000):
        await limiter.hit(org, key_id)
    assert len(asyncio.all_tasks()) == tasks
    assert threading.active_count() == threads
    with pytest.raises(RateLimited) as raised:
        await limiter.hit(org, key_id)
    assert raised.value.headers["RateLimit-Limit"] == "1000"
    assert raised.value.extra == {"limit_scope": "key"}
