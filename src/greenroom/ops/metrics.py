"""Prometheus metrics (per process; scrape each process, or front them with an aggregator)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from greenroom.auth.ratelimit_redis import RedisStore


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self.requests = Counter(
            "greenroom_http_requests_total",
            "HTTP requests",
            ["method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "greenroom_http_request_duration_seconds",
            "HTTP request latency",
            ["method"],
            registry=self.registry,
        )

        self.webhook_attempts = Counter(
            "greenroom_webhook_attempts_total",
            "Webhook delivery attempts made by this process's worker",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_latency = Histogram(
            "greenroom_webhook_attempt_duration_seconds",
            "Time partners' endpoints took to answer a webhook",
            registry=self.registry,
        )

        self.database_unavailable = Counter(
            "greenroom_database_unavailable_total",
            "Requests answered 503 because the database could not be reached",
            registry=self.registry,
        )
        self._redis: _RedisCollector | None = None

    def watch_redis(self, store: object) -> None:
        """Report the shared rate-limit store's health (when Redis is configured at all)."""
        if getattr(store, "shared", False) and (
            self._redis is None or self._redis.store is not store
        ):
            if self._redis is not None:
                self.registry.unregister(self._redis)
            self._redis = _RedisCollector(cast("RedisStore", store))
            self.registry.register(self._redis)

    def observe_webhook(self, ok: bool, ms: int | None) -> None:
        self.webhook_attempts.labels("succeeded" if ok else "failed").inc()
        if ms is not None:
            self.webhook_latency.observe(ms / 1000)

    def observe(self, method: str, status: int, seconds: float) -> None:
        # Labelled children are looked up once and kept: `labels()` takes a lock and validates
        # its arguments on every call, which the per-request path need not pay.
        key = (method, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, str(status)), self.latency.labels(method))
            if len(self._children) < 1000:  # methods x statuses is small; stay bounded anyway
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class _RedisCollector(Collector):
    """Read from the store when scraped: the store counts with plain integers, for free."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "greenroom_redis_up",
            "1 while Redis (rate limits, log-in throttle) answers; 0 while this process counts "
            "in its own memory instead",
            value=1 if self.store.up else 0,
        )
        yield CounterMetricFamily(
            "greenroom_redis_errors",
            "Redis calls that failed, after one retry on a fresh connection",
            value=self.store.errors,
        )
        yield CounterMetricFamily(
            "greenroom_ratelimit_fallback",
            "Rate-limit and log-in throttle decisions taken in this process's memory because "
            "Redis was unreachable",
            value=self.store.fallbacks,
        )
