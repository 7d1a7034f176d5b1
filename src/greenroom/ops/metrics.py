"""Prometheus metrics (per process; scrape each process, or front them with an aggregator)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram


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
