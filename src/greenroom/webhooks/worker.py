"""The delivery worker: claims due deliveries fairly, signs and POSTs them, records the outcome.

It is a loop on the jobs runner (`greenroom.jobs`, registered by `register`): it runs inside
every `greenroom serve` (from the app's lifespan, when `settings.run_worker` is on) and in
`greenroom worker`. The delivery rows are the outbox; they are claimed with the jobs module's
leases (`jobs.leases.lease`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, one writer at a time on
SQLite) for longer than a send can take, so two workers never send one at the same moment; a
worker that dies leaves a lease that expires, and the delivery is sent again (at least once).
Retries wait with the jobs module's backoff.

Fairness (docs/webhooks.md): a worker keeps up to `webhooks_worker_concurrency` sends in flight
and claims more as each one ends. Each claim looks at the enabled endpoints with due work, gives
each endpoint at most `webhooks_endpoint_concurrency` sends in flight (counted across all
workers), and hands the free slots out round-robin: one per org in turn (starting after the org
served first last time), and within an org one per endpoint in turn. One org never holds more
than nine tenths of a worker's slots (`Worker.per_org`). So a slow receiver holds at most its own
few slots, and an org with a backlog cannot keep another org's delivery waiting: there is
always a free slot for it at the next poll.

Order per user: only the head of each (endpoint, user) queue is claimed (`repository`), so a
user's later event waits for the earlier one's success or final failure, in both formats. The
body and headers of a send follow its endpoint's format (`webhooks.formats`), chosen at claim
time, so a format change or a key rotation applies to retries of earlier events too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom import __version__
from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.jobs import JobContext, Registry
from greenroom.jobs.leases import backoff as jobs_backoff
from greenroom.ops.metrics import Metrics
from greenroom.webhooks import formats, repository, service, signing, ssrf
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookVerificationKey,
)
from greenroom.webhooks.repository import Busy

log = logging.getLogger("greenroom.webhooks")
EXCERPT_BYTES = 1024
USER_AGENT = f"Greenroom-Webhooks/{__version__}"
PURGE_BATCH = 500
DELIVER = "webhooks.deliver"
FORGET = "webhooks.forget"
# How often `run_until_idle` looks again while due deliveries wait for another worker's sends.
_BLOCKED_POLL_SECONDS = 0.02
# Outcomes of sends ending within this of one another are recorded in one transaction.
RECORD_WINDOW_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Send:
    """A claimed delivery, with what sending it needs."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    org_id: uuid.UUID
    lock_token: uuid.UUID
    url: str
    secret: str | None
    msg_id: str
    body: str
    format: str = formats.STANDARD
    # Big Interview format: the tenant's verification key (None: it has none, or it cannot be
    # read).
    authorization: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status: int | None = None
    ms: int | None = None
    excerpt: str | None = None
    error: str | None = None


def backoff(attempts: int, settings: Settings) -> timedelta:
    """After the n-th failed attempt: the jobs module's backoff, on the webhook settings."""
    return jobs_backoff(
        attempts, base=settings.webhooks_retry_base_seconds, cap=settings.webhooks_retry_max_seconds
    )


@dataclass(slots=True)
class _Slots:
    endpoint_id: uuid.UUID
    free: int


def allocate(
    busy: Sequence[repository.Busy],
    *,
    capacity: int,
    per_endpoint: int,
    after_org: uuid.UUID | None = None,
    per_org: int | None = None,
    org_in_flight: Mapping[uuid.UUID, int] | None = None,
) -> list[tuple[uuid.UUID, int]]:
    """Share `capacity` sends among endpoints with due work: one per org in turn (orgs in id
    order, starting after `after_org`), within an org one per endpoint in turn (least busy
    first), never more than `per_endpoint` in flight for an endpoint, nor `per_org` for an org
    (counting `org_in_flight`, the worker's sends in flight). (endpoint, how many), in the
    order the slots were handed out."""
    org_room: dict[uuid.UUID, int] = {}
    by_org: dict[uuid.UUID, deque[_Slots]] = {}
    for item in sorted(busy, key=lambda b: (b.org_id, b.in_flight, b.endpoint_id)):
        free = per_endpoint - item.in_flight
        if item.org_id not in org_room:
            taken = (org_in_flight or {}).get(item.org_id, 0)
            org_room[item.org_id] = capacity if per_org is None else per_org - taken
        if free > 0 and org_room[item.org_id] > 0:
            by_org.setdefault(item.org_id, deque()).append(_Slots(item.endpoint_id, free))
    orgs = sorted(by_org)
    if after_org is not None:
        later = [org for org in orgs if org > after_org]
        orgs = later + [org for org in orgs if org <= after_org]
    given: Counter[uuid.UUID] = Counter()
    while capacity > 0 and orgs:
        for org in list(orgs):
            queue = by_org[org]
            slots = queue.popleft()
            given[slots.endpoint_id] += 1
            capacity -= 1
            org_room[org] -= 1
            slots.free -= 1
            if slots.free > 0:
                queue.append(slots)
            if not queue or org_room[org] == 0:
                orgs.remove(org)
            if capacity == 0:
                break
    return list(given.items())


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
        self.metrics = metrics
        self._last_org: uuid.UUID | None = None

    @property
    def lease(self) -> timedelta:
        longest = max(
            self.settings.webhooks_timeout_seconds,
            self.settings.webhooks_biginterview_timeout_seconds,
        )
        return timedelta(seconds=2 * longest + 30)

    def timeout(self, send: Send) -> float:
        if send.format == formats.BIGINTERVIEW:
            return self.settings.webhooks_biginterview_timeout_seconds
        return self.settings.webhooks_timeout_seconds

    @property
    def concurrency(self) -> int:
        return self.settings.webhooks_worker_concurrency

    def _make_client(self) -> httpx.AsyncClient:
        s = self.settings
        return httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: we connect to the checked address
            timeout=httpx.Timeout(
                s.webhooks_timeout_seconds, connect=s.webhooks_connect_timeout_seconds
            ),
            limits=httpx.Limits(
                max_connections=s.webhooks_worker_concurrency,
                max_keepalive_connections=min(s.webhooks_worker_concurrency, 20),
            ),
            headers={"User-Agent": USER_AGENT},
        )

    # --- running ------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one round of due deliveries (at most `webhooks_worker_batch`), send them, record
        each outcome as it comes; the number attempted."""
        sends = await self._claim()
        if not sends:
            return 0
        client = self._client or self._make_client()
        try:
            tasks = {asyncio.create_task(self._send_safely(client, send)): send for send in sends}
            while tasks:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                await self._finish([(tasks.pop(task), task.result()) for task in done])
        finally:
            if self._client is None:
                await client.aclose()
        return len(sends)

    async def run_until_idle(self) -> int:
        """Send until nothing is due (tests, `greenroom worker --once`): also waits while due
        deliveries are held back only by another worker's sends to their endpoint."""
        total = 0
        while True:
            count = await self.run_once()
            total += count
            if count:
                continue
            if not await self._held_back():
                return total
            await asyncio.sleep(_BLOCKED_POLL_SECONDS)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Keep up to `webhooks_worker_concurrency` sends in flight until `stop`; then send no
        more, and record the outcomes of those in flight (they end within the timeout)."""
        log.info("webhook worker started")
        client = self._client or self._make_client()
        in_flight: dict[asyncio.Task[Outcome], Send] = {}
        try:
            while not stop.is_set() or in_flight:
                free = self.concurrency - len(in_flight)
                if not stop.is_set() and free > 0:
                    want = min(free, self.settings.webhooks_worker_batch)
                    by_org = Counter(send.org_id for send in in_flight.values())
                    try:
                        sends = await self._claim(want, in_flight_by_org=by_org)
                    except Exception:
                        log.exception("webhook worker cycle failed")
                        sends = []
                    for send in sends:
                        task = asyncio.create_task(self._send_safely(client, send))
                        in_flight[task] = send
                    if sends and len(sends) == want and len(in_flight) < self.concurrency:
                        await asyncio.sleep(0)
                        continue  # more may be due: fill the free slots first
                waiting: set[asyncio.Future[Any]] = set(in_flight)
                stopper = None if stop.is_set() else asyncio.ensure_future(stop.wait())
                if stopper is not None:
                    waiting.add(stopper)
                try:
                    done, _ = await asyncio.wait(
                        waiting,
                        timeout=self.settings.webhooks_worker_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    if stopper is not None:
                        stopper.cancel()
                ended = [t for t in in_flight if t in done]
                others = [t for t in in_flight if t not in done]
                if ended and others and not stop.is_set():
                    # Those ending in the next moment are recorded in the same transaction:
                    # fewer write transactions (on SQLite, API writes wait for each one).
                    more, _ = await asyncio.wait(others, timeout=RECORD_WINDOW_SECONDS)
                    ended += [t for t in others if t in more]
                if ended:
                    await self._finish([(in_flight.pop(t), t.result()) for t in ended])
        finally:
            if self._client is None:
                await client.aclose()
        log.info("webhook worker stopped")

    async def _finish(self, finished: Sequence[tuple[Send, Outcome]]) -> None:
        """Record outcomes, all in one transaction, in endpoint order (the order every worker
        locks them in); should that fail, one by one, so that one cannot lose the others."""
        for _send, outcome in finished:
            if self.metrics is not None:
                self.metrics.observe_webhook(outcome.ok, outcome.ms)
        ordered = sorted(finished, key=lambda pair: (pair[0].endpoint_id, pair[0].delivery_id))
        if len(ordered) > 1:
            try:
                await self._record_all(ordered)
                return
            except Exception:
                log.warning("recording webhook attempts together failed; one by one", exc_info=True)
        for send, outcome in ordered:
            try:
                await self._record(send, outcome)
            except IntegrityError:
                # The locks in `_record_one` should leave no room for this; should a delete of
                # the endpoint still slip in, the delivery is simply gone with it.
                log.info(
                    "webhook delivery vanished with its endpoint",
                    extra={"delivery": str(send.delivery_id)},
                )
            except Exception:
                # The lease runs out and the delivery is sent again (at least once).
                log.exception(
                    "recording a webhook attempt failed", extra={"delivery": str(send.delivery_id)}
                )

    async def purge(self, ctx: JobContext | None = None) -> int:
        """Forget finished deliveries older than the retention period, in batches (pausing
        between them when run as the job `ctx`); how many went."""
        cutoff = clock.now() - timedelta(days=self.settings.webhooks_log_retention_days)
        total = 0
        while True:
            async with self.sessions() as session, session.begin():
                gone = await repository.purge_finished(
                    session, before=cutoff, limit=PURGE_BATCH, org_ids=self.org_ids
                )
            total += gone
            if gone < PURGE_BATCH:
                return total
            if ctx is not None:
                await ctx.pause()
            else:
                await asyncio.sleep(0)

    # --- claiming -----------------------------------------------------------------------

    @property
    def per_org(self) -> int:
        """The most sends one org may have in flight in this worker: the rest of the slots stay
        free for other orgs, so that their deliveries need not wait for a slot to end."""
        return max(1, self.concurrency - max(1, self.concurrency // 10))

    async def _claim(
        self, limit: int | None = None, *, in_flight_by_org: Mapping[uuid.UUID, int] | None = None
    ) -> list[Send]:
        """Lease up to `limit` due deliveries, shared fairly (see the module's docstring);
        `in_flight_by_org`: this worker's sends in flight."""
        want = min(limit or self.settings.webhooks_worker_batch, self.concurrency)
        org_in_flight = Counter(in_flight_by_org or {})
        now = clock.now()
        token = uuid.uuid4()
        async with self.sessions() as session, session.begin():
            busy = await repository.endpoints_with_due_work(session, now=now, org_ids=self.org_ids)
            org_of = {b.endpoint_id: b.org_id for b in busy}
            in_flight = {b.endpoint_id: b.in_flight for b in busy}
            ids: list[uuid.UUID] = []
            first_turn = True
            # Slots given to an endpoint with fewer due rows go round again to the others.
            while len(ids) < want and in_flight:
                shares = allocate(
                    [Busy(e, org_of[e], n) for e, n in in_flight.items()],
                    capacity=want - len(ids),
                    per_endpoint=self.settings.webhooks_endpoint_concurrency,
                    after_org=self._last_org,
                    per_org=self.per_org,
                    org_in_flight=org_in_flight,
                )
                if not shares:
                    break
                if first_turn:
                    self._last_org, first_turn = org_of[shares[0][0]], False
                for endpoint_id, count in shares:
                    got = await repository.claim_for_endpoint(
                        session,
                        endpoint_id,
                        now=now,
                        lease_until=now + self.lease,
                        token=token,
                        limit=count,
                    )
                    ids += got
                    in_flight[endpoint_id] += len(got)
                    org_in_flight[org_of[endpoint_id]] += len(got)
                    if len(got) < count:  # nothing more due there
                        del in_flight[endpoint_id]
            if not ids:
                return []
            rows = (
                await session.execute(
                    select(WebhookDelivery, WebhookEndpoint, WebhookMessage)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
                    .where(WebhookDelivery.id.in_(ids))
                )
            ).all()
            keys = await self._verification_keys(
                session,
                [
                    (endpoint.org_id, endpoint.environment)
                    for _, endpoint, _ in rows
                    if endpoint.format == formats.BIGINTERVIEW
                ],
            )
            found = {}
            for delivery, endpoint, message in rows:
                msg_id = service.message_id(message)
                send = Send(
                    delivery_id=delivery.id,
                    endpoint_id=endpoint.id,
                    org_id=delivery.org_id,
                    lock_token=token,
                    url=endpoint.url,
                    secret=self._secret(endpoint),
                    msg_id=msg_id,
                    body=message.body,
                )
                if endpoint.format == formats.BIGINTERVIEW:
                    send = replace(
                        send,
                        format=formats.BIGINTERVIEW,
                        body=formats.biginterview_body(msg_id, message.body),
                        authorization=keys.get((endpoint.org_id, endpoint.environment)),
                    )
                found[delivery.id] = send
            return [found[i] for i in ids if i in found]  # in the order handed out

    async def _verification_keys(
        self, session: AsyncSession, owners: Sequence[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], str]:
        """The readable verification keys of these (org, environment) pairs, re-encrypted under
        the newest server secret where they were not (as the signing secrets are)."""
        found: dict[tuple[uuid.UUID, str], str] = {}
        current = self.settings.server_secrets[0]
        row: WebhookVerificationKey
        for row in await repository.verification_keys(session, owners):
            try:
                key = service.verification_key(row, self.settings)
            except signing.SecretUnreadable:
                continue
            if row.key_version != current.version:
                row.key_ciphertext = signing.encrypt_key(current, row.org_id, row.environment, key)
                row.key_version = current.version
            found[(row.org_id, row.environment)] = key
        return found

    async def _held_back(self) -> bool:
        """Whether due deliveries wait only for sends in flight (to their endpoint, or of the
        earlier deliveries in their user's queue), perhaps another worker's."""
        async with self.sessions() as session, session.begin():
            return await repository.held_back(session, now=clock.now(), org_ids=self.org_ids)

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

    async def _send_safely(self, client: httpx.AsyncClient, job: Send) -> Outcome:
        try:
            return await self._send(client, job)
        except Exception:  # one bad delivery must not lose the batch's outcomes
            log.exception("webhook send failed", extra={"delivery": str(job.delivery_id)})
            return Outcome(False, error="Internal error while sending; will retry.")

    async def _send(self, client: httpx.AsyncClient, job: Send) -> Outcome:
        if job.secret is None:
            return Outcome(False, error="The signing secret cannot be read; rotate it.")
        big_interview = job.format == formats.BIGINTERVIEW
        if big_interview and job.authorization is None:
            return Outcome(
                False, error="The verification key is missing or cannot be read; rotate it."
            )
        try:
            target = await ssrf.resolve(job.url, self.settings)
        except ssrf.UnsafeUrl as exc:
            return Outcome(False, error=f"Refused: {exc}")
        timestamp = int(clock.now().timestamp())
        headers = {
            "content-type": formats.STANDARD_CONTENT_TYPE,
            "webhook-id": job.msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.sign(job.secret, job.msg_id, timestamp, job.body),
        }
        if big_interview:
            assert job.authorization is not None
            headers["content-type"] = formats.BIGINTERVIEW_CONTENT_TYPE
            headers["authorization"] = job.authorization
        url, extensions = _pin(job.url, target, headers)
        seconds = self.timeout(job)
        timeout = httpx.Timeout(seconds, connect=self.settings.webhooks_connect_timeout_seconds)
        started = time.monotonic()
        try:
            async with asyncio.timeout(seconds):
                async with client.stream(
                    "POST",
                    url,
                    content=job.body.encode(),
                    headers=headers,
                    extensions=extensions,
                    timeout=timeout,
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
        elif big_interview and status != 200:
            error = f"HTTP {status}: the Big Interview format needs a 200."
        return Outcome(error is None, status=status, ms=_ms(started), excerpt=text, error=error)

    async def _record(self, send: Send, outcome: Outcome) -> None:
        await self._record_all([(send, outcome)])

    async def _record_all(self, finished: Sequence[tuple[Send, Outcome]]) -> None:
        now = clock.now()
        async with self.sessions() as session, session.begin():
            for send, outcome in finished:
                await self._record_one(session, send, outcome, now)

    async def _record_one(
        self, session: AsyncSession, send: Send, outcome: Outcome, now: datetime
    ) -> None:
        # Locks in the order a delete of the endpoint takes them (the endpoint, then its
        # deliveries by cascade): a concurrent delete either waits for this transaction or has
        # already won, and then there is nothing to record.
        endpoint = (
            await session.execute(
                select(WebhookEndpoint)
                .where(WebhookEndpoint.id == send.endpoint_id)
                .with_for_update(key_share=True)
            )
        ).scalar_one_or_none()
        if endpoint is None:  # deleted mid-send: its deliveries went with it
            return
        delivery = (
            await session.execute(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.id == send.delivery_id,
                    WebhookDelivery.lock_token == send.lock_token,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if delivery is None:  # gone with its endpoint, or the lease ran out
            return
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
            await self._forget_erased_user(session, delivery)
            return
        self._schedule_retry(delivery, now)
        await self._forget_erased_user(session, delivery)
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

    async def _forget_erased_user(self, session: AsyncSession, delivery: WebhookDelivery) -> None:
        """A `user.deleted` delivery that is done (sent, or given up) clears what its queue
        still held of the user: the deliveries that were pending at the erasure went out first
        (in order), and only the `user.deleted` one stays in the log (docs/privacy.md)."""
        if (
            delivery.status == "pending"
            or delivery.event_type != repository.KEPT_AFTER_ERASURE
            or delivery.ordering_key is None
        ):
            return
        await repository.forget_user_history(
            session,
            delivery.org_id,
            delivery.environment,
            delivery.ordering_key,
            endpoint_id=delivery.endpoint_id,
            up_to=delivery.created_at,
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


def register(registry: Registry, worker: Worker, settings: Settings) -> None:
    """The delivery loop and the log's retention purge, on the jobs runner (called at start-up)."""

    async def forget(ctx: JobContext) -> None:
        gone = await worker.purge(ctx)
        if gone:
            log.info("forgot finished webhook deliveries", extra={"count": gone})

    registry.loop(DELIVER, worker.run_forever, drain=worker.run_until_idle)
    registry.periodic(FORGET, forget, every=timedelta(seconds=settings.purge_interval_seconds))
