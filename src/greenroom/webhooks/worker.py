"""The delivery worker: claims due deliveries, signs and POSTs them, records the outcome.

Runs inside `greenroom serve` (from the app's lifespan, when `settings.run_worker` is on) and as
`greenroom worker`. Any number of workers may share one PostgreSQL database: a delivery is claimed
under `FOR UPDATE SKIP LOCKED` and leased (`locked_until`) for longer than a send can take, so two
workers never send it at the same moment; a worker that dies leaves a lease that expires, and the
delivery is sent again (at least once). On SQLite, BEGIN IMMEDIATE serialises the claims.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom import __version__
from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.ops.metrics import Metrics
from greenroom.webhooks import repository, service, signing, ssrf
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)

log = logging.getLogger("greenroom.webhooks")
EXCERPT_BYTES = 1024
USER_AGENT = f"Greenroom-Webhooks/{__version__}"
_jitter = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: uuid.UUID
    lock_token: uuid.UUID
    url: str
    secret: str | None
    msg_id: str
    body: str


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status: int | None = None
    ms: int | None = None
    excerpt: str | None = None
    error: str | None = None


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential (base * 2^(n-1), capped) with +-25 % jitter, after the n-th failed attempt."""
    delay = min(
        settings.webhooks_retry_max_seconds,
        settings.webhooks_retry_base_seconds * 2 ** min(attempts - 1, 40),
    )
    return timedelta(seconds=delay * _jitter.uniform(0.75, 1.25))


class Worker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        org_ids: Collection[uuid.UUID] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """`org_ids` restricts the worker to those orgs' deliveries (tests use it to leave other
        tests' deliveries alone; a deployment could give a large tenant workers of its own)."""
        self.sessions = sessions
        self.settings = settings
        self._client = client
        self.org_ids = list(org_ids) if org_ids is not None else None
        self._next_purge_at: datetime | None = None
        self.metrics = metrics

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=2 * self.settings.webhooks_timeout_seconds + 30)

    def _make_client(self) -> httpx.AsyncClient:
        s = self.settings
        return httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: we connect to the checked address
            timeout=httpx.Timeout(
                s.webhooks_timeout_seconds, connect=s.webhooks_connect_timeout_seconds
            ),
            headers={"User-Agent": USER_AGENT},
        )

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and send them; the number attempted."""
        jobs = await self._claim()
        if not jobs:
            return 0
        client = self._client or self._make_client()
        try:
            outcomes = await asyncio.gather(*(self._send_safely(client, job) for job in jobs))
        finally:
            if self._client is None:
                await client.aclose()
        for job, outcome in zip(jobs, outcomes, strict=True):
            if self.metrics is not None:
                self.metrics.observe_webhook(outcome.ok, outcome.ms)
            await self._record(job, outcome)
        return len(jobs)

    async def run_until_idle(self) -> int:
        """Send until nothing is due (tests, `greenroom worker --once`)."""
        total = 0
        while count := await self.run_once():
            total += count
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("webhook worker started")
        while not stop.is_set():
            try:
                await self.purge_if_due()
                count = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook worker cycle failed")
                count = 0
            if count == 0:
                try:
                    await asyncio.wait_for(stop.wait(), self.settings.webhooks_worker_poll_seconds)
                except TimeoutError:
                    pass
        log.info("webhook worker stopped")

    async def purge(self) -> int:
        """Forget finished deliveries older than the retention period; how many went."""
        cutoff = clock.now() - timedelta(days=self.settings.webhooks_log_retention_days)
        async with self.sessions() as session, session.begin():
            return await repository.purge_finished(session, before=cutoff, org_ids=self.org_ids)

    async def purge_if_due(self) -> None:
        now = clock.now()
        if self._next_purge_at is None or now >= self._next_purge_at:
            self._next_purge_at = now + timedelta(seconds=self.settings.purge_interval_seconds)
            await self.purge()

    async def _claim(self) -> list[Job]:
        now = clock.now()
        token = uuid.uuid4()
        async with self.sessions() as session, session.begin():
            ids = await repository.claim_due(
                session,
                now=now,
                lease_until=now + self.lease,
                token=token,
                limit=self.settings.webhooks_worker_batch,
                org_ids=self.org_ids,
            )
            if not ids:
                return []
            rows = await session.execute(
                select(WebhookDelivery, WebhookEndpoint, WebhookMessage)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
                .where(WebhookDelivery.id.in_(ids))
            )
            jobs = []
            for delivery, endpoint, message in rows.all():
                jobs.append(
                    Job(
                        delivery_id=delivery.id,
                        lock_token=token,
                        url=endpoint.url,
                        secret=self._secret(endpoint),
                        msg_id=service.message_id(message),
                        body=message.body,
                    )
                )
            return jobs

    def _secret(self, endpoint: WebhookEndpoint) -> str | None:
        try:
            secret = service.endpoint_secret(endpoint, self.settings)
        except signing.SecretUnreadable:
            return None
        current = self.settings.server_secrets[0]
        if endpoint.secret_version != current.version:  # re-encrypt under the newest secret
            endpoint.secret_ciphertext = signing.encrypt(current, endpoint.id, secret)
            endpoint.secret_version = current.version
        return secret

    async def _send_safely(self, client: httpx.AsyncClient, job: Job) -> Outcome:
        try:
            return await self._send(client, job)
        except Exception:  # one bad delivery must not lose the batch's outcomes
            log.exception("webhook send failed", extra={"delivery": str(job.delivery_id)})
            return Outcome(False, error="Internal error while sending; will retry.")

    async def _send(self, client: httpx.AsyncClient, job: Job) -> Outcome:
        if job.secret is None:
            return Outcome(False, error="The signing secret cannot be read; rotate it.")
        try:
            target = await ssrf.resolve(job.url, self.settings)
        except ssrf.UnsafeUrl as exc:
            return Outcome(False, error=f"Refused: {exc}")
        timestamp = int(clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": job.msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.sign(job.secret, job.msg_id, timestamp, job.body),
        }
        url, extensions = _pin(job.url, target, headers)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.webhooks_timeout_seconds):
                async with client.stream(
                    "POST", url, content=job.body.encode(), headers=headers, extensions=extensions
                ) as response:
                    excerpt = b""
                    async for chunk in response.aiter_bytes():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
        except (TimeoutError, httpx.TimeoutException):
            return Outcome(False, ms=_ms(started), error="Timed out.")
        except httpx.HTTPError as exc:
            return Outcome(
                False, ms=_ms(started), error=f"Connection failed ({type(exc).__name__})."
            )
        status = response.status_code
        text = excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace")[:EXCERPT_BYTES]
        error = None
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed."
        elif not 200 <= status < 300:
            error = f"HTTP {status}."
        return Outcome(error is None, status=status, ms=_ms(started), excerpt=text, error=error)

    async def _record(self, job: Job, outcome: Outcome) -> None:
        now = clock.now()
        async with self.sessions() as session, session.begin():
            delivery = (
                await session.execute(
                    select(WebhookDelivery).where(
                        WebhookDelivery.id == job.delivery_id,
                        WebhookDelivery.lock_token == job.lock_token,
                    )
                )
            ).scalar_one_or_none()
            if delivery is None:  # the endpoint was deleted, or the lease ran out
                return
            endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
            assert endpoint is not None
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.response_status = outcome.status
            delivery.response_ms = outcome.ms
            delivery.response_excerpt = outcome.excerpt
            delivery.error = outcome.error
            delivery.locked_until = None
            delivery.lock_token = None
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    number=delivery.attempts,
                    at=now,
                    succeeded=outcome.ok,
                    response_status=outcome.status,
                    response_ms=outcome.ms,
                    response_excerpt=outcome.excerpt,
                    error=outcome.error,
                )
            )
            # Never the URL: partners put tokens in query strings.
            log.info(
                "webhook attempt",
                extra={
                    "delivery": str(delivery.id),
                    "org_id": str(delivery.org_id),
                    "endpoint": str(delivery.endpoint_id),
                    "attempt": delivery.attempts,
                    "ok": outcome.ok,
                    "status": outcome.status,
                    "duration_ms": outcome.ms,
                },
            )
            if outcome.ok:
                delivery.status = "succeeded"
                delivery.succeeded_at = now
                delivery.next_attempt_at = None
                endpoint.failing_since = None
                endpoint.last_error = None
                return
            self._schedule_retry(delivery, now)
            endpoint.last_error = (outcome.error or "failed")[:500]
            started = delivery.created_at
            if endpoint.failing_since is None or started < endpoint.failing_since:
                endpoint.failing_since = started
            disable_after = timedelta(hours=self.settings.webhooks_disable_after_hours)
            if endpoint.enabled and now - endpoint.failing_since >= disable_after:
                service.disable(endpoint, "failing")
                log.warning(
                    "webhook endpoint disabled after failing", extra={"endpoint": str(endpoint.id)}
                )

    def _schedule_retry(self, delivery: WebhookDelivery, now: datetime) -> None:
        deadline = delivery.created_at + timedelta(hours=self.settings.webhooks_retry_window_hours)
        if now >= deadline:
            delivery.status = "failed"
            delivery.next_attempt_at = None
            return
        # The last retry happens at the deadline itself, so retries really span the window.
        delivery.next_attempt_at = min(now + backoff(delivery.attempts, self.settings), deadline)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _pin(url: str, target: ssrf.Target, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Connect to the address that was checked, not to a second DNS answer."""
    if target.address is None:
        return url, {}
    parts = urlsplit(url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    headers["host"] = parts.netloc
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=f"{host}:{target.port}")), extensions
