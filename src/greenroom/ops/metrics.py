"""Prometheus metrics (per process; scrape each process, or front them with an aggregator)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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

    def observe(self, method: str, status: int, seconds: float) -> None:
        self.requests.labels(method, str(status)).inc()
        self.latency.labels(method).observe(seconds)
