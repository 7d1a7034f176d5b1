"""The runner: claims due jobs, runs their handlers, records the outcome; and hosts loops.

One `Registry` lists what a process can do, filled explicitly at start-up
(`greenroom.background.registry`): job kinds with their handlers, periodic kinds with their
interval, and loops (long-running consumers with their own queue, like the webhook worker). A
`Runner` runs them: inside every `greenroom serve` process (the app's lifespan) and in
`greenroom worker`. Any number of runners share one database.

A handler gets a `JobContext`. Work that takes long is done in small transactions: in each one
the handler calls `ctx.hold(session)` (is the job still ours? renews the lease) before recording
anything, and between them `await ctx.pause()`, which lets other tasks (API requests) in, hands
the job back when the runner is stopping, and stops the handler if another runner took the job
over. A handler that raises is retried with exponential backoff until `max_attempts`, then
given up (`on_give_up` runs in the transaction that marks it failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.core.settings import Settings
from greenroom.jobs import queue
from greenroom.jobs.leases import backoff
from greenroom.jobs.queue import Claimed

log = logging.getLogger("greenroom.jobs")

Handler = Callable[["JobContext"], Awaitable[None]]
GiveUp = Callable[[AsyncSession, Claimed, str], Awaitable[None]]
LoopRun = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
LoopDrain = Callable[[], Awaitable[int]]
PauseHook = Callable[["JobContext"], Awaitable[None]]


class Stopping(Exception):
    """Raised by `JobContext.pause` when the runner stops: the job is handed back."""


class LeaseLost(Exception):
    """The job was taken over by another runner (this one's lease had expired)."""


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    handler: Handler
    max_attempts: int = 5
    every: timedelta | None = None  # periodic: one row, run once a round by one runner
    on_give_up: GiveUp | None = None


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    run: LoopRun  # runs until the event is set
    drain: LoopDrain | None = None  # does what is due now and returns (`greenroom worker --once`)


class Registry:
    """What a process can run. Filled explicitly where the app and the CLI start, never by
    importing a module."""

    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}
        self.loops: dict[str, Loop] = {}

    def _check(self, name: str) -> None:
        if name in self.kinds or name in self.loops:
            raise ValueError(f"{name!r} is registered twice")

    def job(
        self,
        name: str,
        handler: Handler,
        *,
        max_attempts: int = 5,
        on_give_up: GiveUp | None = None,
    ) -> None:
        """A kind of job queued with `jobs.enqueue(session, name, payload)`."""
        self._check(name)
        self.kinds[name] = Kind(name, handler, max_attempts, None, on_give_up)

    def periodic(self, name: str, handler: Handler, *, every: timedelta) -> None:
        """Run `handler` every `every`: by one runner each round, however many there are."""
        self._check(name)
        self.kinds[name] = Kind(name, handler, 3, every, None)

    def loop(self, name: str, run: LoopRun, *, drain: LoopDrain | None = None) -> None:
        self._check(name)
        self.loops[name] = Loop(name, run, drain)


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    concurrency: int = 4
    poll_seconds: float = 1.0
    lease_seconds: float = 60.0
    retry_base_seconds: float = 10.0
    retry_max_seconds: float = 3600.0

    @classmethod
    def of(cls, settings: Settings) -> RunnerSettings:
        return cls(
            concurrency=settings.jobs_concurrency,
            poll_seconds=settings.jobs_poll_seconds,
            lease_seconds=settings.jobs_lease_seconds,
            retry_base_seconds=settings.jobs_retry_base_seconds,
            retry_max_seconds=settings.jobs_retry_max_seconds,
        )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)


class JobContext:
    """What a handler gets: the job, the session maker, and the calls that keep it safe."""

    def __init__(self, job: Claimed, runner: Runner) -> None:
        self.job = job
        self.sessions = runner.sessions
        self._runner = runner
        self.lost = False

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.job.payload)

    async def hold(self, session: AsyncSession) -> bool:
        """Call first in each transaction that records the job's work: False (record nothing)
        if the job is no longer this claim's; otherwise its lease is renewed and, on
        PostgreSQL, no other runner can take it over before this transaction ends."""
        held = await queue.hold(session, self.job, self._runner.settings.lease)
        if not held:
            self.lost = True
        return held

    async def pause(self) -> None:
        """Call between two transactions of long work: lets other tasks in; raises `Stopping`
        when the runner stops (the job is handed back and resumed from what was recorded) and
        `LeaseLost` when another runner took the job over."""
        await asyncio.sleep(0)
        if self._runner.on_pause is not None:
            await self._runner.on_pause(self)
        if self.lost:
            raise LeaseLost(str(self.job.id))
        if self._runner.stopping:
            raise Stopping(str(self.job.id))


class Runner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        registry: Registry,
        settings: RunnerSettings | None = None,
        *,
        name: str | None = None,
        kinds: Collection[str] | None = None,
        org_ids: Collection[uuid.UUID] | None = None,
        on_pause: PauseHook | None = None,
    ) -> None:
        """`kinds` and `org_ids` restrict what this runner claims (tests use them to leave
        other tests' jobs alone; a deployment could dedicate workers to some kinds).
        `on_pause` is awaited at every `JobContext.pause` (tests observe batches with it)."""
        self.sessions = sessions
        self.registry = registry
        self.settings = settings or RunnerSettings()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        wanted = set(registry.kinds) if kinds is None else set(kinds) & set(registry.kinds)
        self.kinds = sorted(wanted)
        self.org_ids = list(org_ids) if org_ids is not None else None
        self.on_pause = on_pause
        self._stop: asyncio.Event | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    @property
    def stopping(self) -> bool:
        """Whether `run_forever` was asked to stop (jobs are then handed back at their pause)."""
        return self._stop is not None and self._stop.is_set()

    # --- running jobs ---------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due jobs now rather than at the next poll (after queueing one)."""
        self._wake.set()

    async def run_now(self, job_id: uuid.UUID) -> bool:
        """Claim this job if it is due and run it here, now; False if it was not claimable
        (another runner has it, or it is finished)."""
        claimed = await self._claim(1, job_id=job_id)
        for job in claimed:
            await self._execute(job)
        return bool(claimed)

    async def run_until_idle(self) -> dict[str, int]:
        """Run every due job, then let each loop do what is due (`greenroom worker --once`,
        tests); how many jobs ran, and what each loop did."""
        await self.ensure_periodic()
        ran = 0
        while claimed := await self._claim(self.settings.concurrency):
            await asyncio.gather(*(self._execute(job) for job in claimed))
            ran += len(claimed)
        done = {"jobs": ran}
        for loop in self.registry.loops.values():
            if loop.drain is not None:
                done[loop.name] = await loop.drain()
        return done

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Claim and run jobs (at most `concurrency` at once) and run the loops, until `stop`
        is set; then hand back the jobs in flight at their next pause and let the loops end."""
        self._stop = stop
        log.info("jobs runner started", extra={"runner": self.name, "kinds": self.kinds})
        loops = [
            asyncio.create_task(loop.run(stop), name=f"loop {loop.name}")
            for loop in self.registry.loops.values()
        ]
        ensured = False
        try:
            while not stop.is_set():
                if not ensured:
                    ensured = await self._ensure_periodic_logged()
                free = self.settings.concurrency - len(self._running)
                claimed: list[Claimed] = []
                if free > 0:
                    try:
                        claimed = await self._claim(free)
                    except Exception:
                        log.exception("claiming jobs failed; will retry")
                    for job in claimed:
                        task = asyncio.create_task(self._execute(job), name=f"job {job.kind}")
                        self._running.add(task)
                        task.add_done_callback(self._running.discard)
                # Full: until a job ends (then claim again). Otherwise nothing more is due now.
                full = len(self._running) >= self.settings.concurrency
                await self._wait(stop, None if full else self.settings.poll_seconds)
        finally:
            stop.set()  # also when cancelled: jobs in flight are handed back at their pause
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            for result in await asyncio.gather(*loops, return_exceptions=True):
                if isinstance(result, BaseException):
                    log.error("background loop ended with an error", exc_info=result)
            log.info("jobs runner stopped", extra={"runner": self.name})

    async def _wait(self, stop: asyncio.Event, seconds: float | None) -> None:
        """Until `stop`, a wake-up, a job finishing, or `seconds` (None: no limit)."""
        waiters = {
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self._wake.wait()),
        }
        try:
            await asyncio.wait(
                waiters | self._running, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def ensure_periodic(self) -> None:
        periodic = [k for k in self.registry.kinds.values() if k.every and k.name in self.kinds]
        if not periodic:
            return
        async with self.sessions() as session, session.begin():
            for kind in periodic:
                assert kind.every is not None
                await queue.ensure_periodic(session, kind.name, kind.every)

    async def _ensure_periodic_logged(self) -> bool:
        try:
            await self.ensure_periodic()
        except Exception:
            log.exception("scheduling periodic jobs failed; will retry")
            return False
        return True

    async def _claim(self, limit: int, *, job_id: uuid.UUID | None = None) -> list[Claimed]:
        owner = f"{self.name}/{secrets.token_hex(4)}"
        async with self.sessions() as session, session.begin():
            return await queue.claim(
                session,
                kinds=self.kinds,
                owner=owner,
                lease_for=self.settings.lease,
                limit=limit,
                org_ids=self.org_ids,
                job_id=job_id,
            )

    async def _execute(self, job: Claimed) -> None:
        kind = self.registry.kinds[job.kind]
        extra = {"job_id": str(job.id), "kind": job.kind, "attempt": job.attempts}
        if job.attempts > job.max_attempts:
            # Claimed again and again without ever finishing: its process died each time.
            await self._give_up(kind, job, "Stopped by the end of its process too many times.")
            return
        context = JobContext(job, self)
        heartbeat = asyncio.create_task(self._heartbeat(context), name=f"lease {job.id}")
        try:
            await kind.handler(context)
        except Stopping:
            log.info("job handed back: the runner is stopping", extra=extra)
            await self._settle(job, lambda s: queue.release(s, job))
        except LeaseLost:
            log.warning("job taken over by another runner", extra=extra)
        except asyncio.CancelledError:
            # Cancelled (a server stopping without waiting): hand it back for another process.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._settle(job, lambda s: queue.release(s, job)))
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if job.attempts >= job.max_attempts:
                log.exception("job failed; giving up", extra=extra)
                await self._give_up(kind, job, error)
            else:
                wait = backoff(
                    job.attempts,
                    base=self.settings.retry_base_seconds,
                    cap=self.settings.retry_max_seconds,
                )
                log.exception("job failed; will retry", extra={**extra, "retry_in": str(wait)})
                await self._settle(job, lambda s: queue.retry_later(s, job, error, wait=wait))
        else:
            await self._settle(job, lambda s: queue.finish(s, job, every=kind.every))
            log.info("job done", extra=extra)
        finally:
            heartbeat.cancel()

    async def _give_up(self, kind: Kind, job: Claimed, error: str) -> None:
        async def record(session: AsyncSession) -> bool:
            if not await queue.give_up(session, job, error, every=kind.every):
                return False
            if kind.on_give_up is not None:
                await kind.on_give_up(session, job, error)
            return True

        await self._settle(job, record)

    async def _settle(self, job: Claimed, write: Callable[[AsyncSession], Awaitable[bool]]) -> None:
        """Record the claim's outcome (only while the job is still this claim's)."""
        try:
            async with self.sessions() as session, session.begin():
                if not await write(session):
                    log.warning(
                        "job outcome not recorded: taken over by another runner",
                        extra={"job_id": str(job.id), "kind": job.kind},
                    )
        except Exception:
            # The lease runs out and another claim runs the job again (at least once).
            log.exception("recording a job's outcome failed", extra={"job_id": str(job.id)})

    async def _heartbeat(self, context: JobContext) -> None:
        """Renew the lease while the handler runs (a third of the lease each time)."""
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            try:
                async with self.sessions() as session, session.begin():
                    if not await queue.hold(session, context.job, self.settings.lease):
                        context.lost = True
                        return
            except Exception:
                log.warning("renewing a job's lease failed", exc_info=True)
