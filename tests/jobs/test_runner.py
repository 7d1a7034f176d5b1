"""The jobs module on the real database: claims, retries with backoff, leases that expire,
periodic jobs with several runners, handing jobs back on stop."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from greenroom import jobs
from greenroom.core import clock
from greenroom.core.db import Database
from greenroom.jobs import JobContext, Registry, Runner, RunnerSettings
from greenroom.jobs.models import Job
from greenroom.jobs.queue import Claimed, periodic_key
from tests.factories import make_org

SETTINGS = RunnerSettings(concurrency=4, poll_seconds=0.01, lease_seconds=60)


class ProcessDied(BaseException):
    """Stands for the process going away: none of the runner's own handling runs."""


def kind() -> str:
    """A kind of its own per test: runners claim only the kinds they have, so tests sharing the
    database never run each other's jobs."""
    return f"test.{uuid.uuid4().hex[:12]}"


async def enqueue(
    app: FastAPI, name: str, payload: dict[str, Any] | None = None, **kw: Any
) -> uuid.UUID:
    async with app.state.sessionmaker() as session, session.begin():
        return await jobs.enqueue(session, name, payload, **kw)


async def row(app: FastAPI, job_id: uuid.UUID) -> Job:
    async with app.state.sessionmaker() as session:
        found = await session.get(Job, job_id)
        assert isinstance(found, Job)
        return found


async def test_a_job_runs_once_with_its_payload_and_is_done(app) -> None:
    name, seen = kind(), []

    async def handler(ctx: JobContext) -> None:
        seen.append((ctx.payload, ctx.job.attempts))

    registry = Registry()
    registry.job(name, handler)
    job_id = await enqueue(app, name, {"n": 1})
    runner = Runner(app.state.sessionmaker, registry, SETTINGS)
    assert (await runner.run_until_idle())["jobs"] == 1
    assert seen == [({"n": 1}, 1)]
    done = await row(app, job_id)
    assert (done.state, done.attempts, done.lease_owner, done.last_error) == ("done", 1, None, None)
    assert done.finished_at is not None
    assert (await runner.run_until_idle())["jobs"] == 0


async def test_a_job_is_not_run_before_its_time_nor_by_a_runner_without_its_kind(app) -> None:
    name, other, seen = kind(), kind(), []

    async def handler(ctx: JobContext) -> None:
        seen.append(ctx.job.id)

    registry = Registry()
    registry.job(name, handler)
    later = await enqueue(app, name, run_after=clock.now() + timedelta(minutes=5))
    await enqueue(app, other)  # no handler here: left for a runner that has one
    runner = Runner(app.state.sessionmaker, registry, SETTINGS)
    assert (await runner.run_until_idle())["jobs"] == 0
    clock.advance(timedelta(minutes=5))
    assert (await runner.run_until_idle())["jobs"] == 1
    assert seen == [later]


async def test_a_failing_job_is_retried_with_backoff_then_given_up(app) -> None:
    name, attempts, given_up = kind(), [], []

    async def handler(ctx: JobContext) -> None:
        attempts.append(ctx.job.attempts)
        raise RuntimeError(f"boom {ctx.job.attempts}")

    async def on_give_up(session: Any, job: Claimed, error: str) -> None:
        given_up.append((job.id, error))

    registry = Registry()
    registry.job(name, handler, on_give_up=on_give_up)
    job_id = await enqueue(app, name, max_attempts=3)
    runner = Runner(app.state.sessionmaker, registry, SETTINGS)
    for attempt in (1, 2):
        assert (await runner.run_until_idle())["jobs"] == 1
        waiting = await row(app, job_id)
        assert (waiting.state, waiting.attempts) == ("queued", attempt)
        assert waiting.last_error == f"RuntimeError: boom {attempt}"
        wait = waiting.run_after - clock.now()
        base = SETTINGS.retry_base_seconds * 2 ** (attempt - 1)
        assert timedelta(seconds=base * 0.74) <= wait <= timedelta(seconds=base * 1.26)
        assert (await runner.run_until_idle())["jobs"] == 0  # not due yet
        clock.advance(wait)
    assert (await runner.run_until_idle())["jobs"] == 1
    failed = await row(app, job_id)
    assert (failed.state, failed.attempts, failed.lease_owner) == ("failed", 3, None)
    assert attempts == [1, 2, 3]
    assert given_up == [(job_id, "RuntimeError: boom 3")]
    clock.advance(timedelta(days=1))
    assert (await runner.run_until_idle())["jobs"] == 0


async def test_a_job_whose_process_died_is_claimed_again_once_its_lease_expires(app) -> None:
    name, runs = kind(), []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job.owner)
        if len(runs) == 1:
            raise ProcessDied

    registry = Registry()
    registry.job(name, handler)
    job_id = await enqueue(app, name)
    with pytest.raises(ProcessDied):
        await Runner(app.state.sessionmaker, registry, SETTINGS).run_until_idle()
    held = await row(app, job_id)
    assert held.state == "running" and held.lease_owner == runs[0]
    other = Runner(app.state.sessionmaker, registry, SETTINGS)
    clock.advance(SETTINGS.lease - timedelta(seconds=1))
    assert (await other.run_until_idle())["jobs"] == 0  # still leased to the dead process
    clock.advance(timedelta(seconds=2))
    assert (await other.run_until_idle())["jobs"] == 1
    done = await row(app, job_id)
    assert (done.state, done.attempts) == ("done", 2)
    assert runs[1] != runs[0] and runs[1].startswith(other.name)


async def test_a_job_that_kills_its_process_every_time_is_given_up(app) -> None:
    name, runs = kind(), []

    async def handler(ctx: JobContext) -> None:
        runs.append(1)
        raise ProcessDied

    registry = Registry()
    registry.job(name, handler)
    job_id = await enqueue(app, name, max_attempts=2)
    for _ in range(2):
        with pytest.raises(ProcessDied):
            await Runner(app.state.sessionmaker, registry, SETTINGS).run_until_idle()
        clock.advance(SETTINGS.lease + timedelta(seconds=1))
    assert (await Runner(app.state.sessionmaker, registry, SETTINGS).run_until_idle())["jobs"] == 1
    failed = await row(app, job_id)
    assert len(runs) == 2 and failed.state == "failed"
    assert "too many times" in (failed.last_error or "")


async def test_two_runners_run_each_job_exactly_once(app, settings) -> None:
    name, ran = kind(), Counter[str]()

    async def handler(ctx: JobContext) -> None:
        await asyncio.sleep(0)
        ran[ctx.payload["n"]] += 1

    registry = Registry()
    registry.job(name, handler)
    for n in range(40):
        await enqueue(app, name, {"n": str(n)})
    # Two runners as two processes would be: each with its own engine and connections.
    databases = [Database(settings.resolved_database_url) for _ in range(2)]
    try:
        runners = [Runner(d.writer, registry, SETTINGS) for d in databases]
        counts = await asyncio.gather(*(r.run_until_idle() for r in runners))
    finally:
        for database in databases:
            await database.dispose()
    assert sum(c["jobs"] for c in counts) == 40
    assert len(ran) == 40 and set(ran.values()) == {1}


async def test_a_periodic_job_runs_once_a_round_however_many_runners(app, settings) -> None:
    name, rounds = kind(), []

    async def handler(ctx: JobContext) -> None:
        rounds.append(ctx.job.owner)

    registry = Registry()
    registry.periodic(name, handler, every=timedelta(minutes=10))
    databases = [Database(settings.resolved_database_url) for _ in range(3)]
    try:
        runners = [Runner(d.writer, registry, SETTINGS) for d in databases]

        async def all_runners() -> int:
            counts = await asyncio.gather(*(r.run_until_idle() for r in runners))
            return sum(c["jobs"] for c in counts)

        assert await all_runners() == 0  # every runner schedules it; none is due yet
        for round_ in (1, 2, 3):
            clock.advance(timedelta(minutes=10))
            assert await all_runners() == 1
            assert len(rounds) == round_
    finally:
        for database in databases:
            await database.dispose()
    async with app.state.sessionmaker() as session:
        [periodic] = (
            await session.execute(select(Job).where(Job.unique_key == periodic_key(name)))
        ).scalars()
    assert periodic.state == "queued" and periodic.attempts == 0
    assert timedelta(minutes=9) < periodic.run_after - clock.now() <= timedelta(minutes=10)


async def test_a_periodic_job_that_fails_waits_for_its_next_round(app) -> None:
    name, runs = kind(), []

    async def handler(ctx: JobContext) -> None:
        runs.append(1)
        raise RuntimeError("broken")

    registry = Registry()
    registry.periodic(name, handler, every=timedelta(minutes=10))
    runner = Runner(app.state.sessionmaker, registry, SETTINGS)
    await runner.ensure_periodic()
    for _ in range(3):  # periodic jobs have three attempts a round
        clock.advance(timedelta(minutes=10))
        await runner.run_until_idle()
    async with app.state.sessionmaker() as session:
        [periodic] = (
            await session.execute(select(Job).where(Job.unique_key == periodic_key(name)))
        ).scalars()
    assert periodic.state == "queued" and periodic.attempts == 0
    assert periodic.last_error == "RuntimeError: broken" and len(runs) == 3


async def test_a_stopping_runner_hands_its_job_back_to_be_resumed(app) -> None:
    name, done_steps = kind(), list[int]()
    stop = asyncio.Event()

    async def handler(ctx: JobContext) -> None:
        start = int(ctx.payload.get("from", 0))
        async with ctx.sessions() as session, session.begin():
            assert await ctx.hold(session)
            start = len(done_steps)
        for step in range(start, 4):
            await ctx.pause()
            done_steps.append(step)
            if step == 1:
                stop.set()  # the server is asked to stop while the job runs

    registry = Registry()
    registry.job(name, handler)
    job_id = await enqueue(app, name)
    first = Runner(app.state.sessionmaker, registry, SETTINGS)
    await asyncio.wait_for(first.run_forever(stop), 30)
    handed_back = await row(app, job_id)
    assert (handed_back.state, handed_back.attempts, handed_back.lease_owner) == (
        "queued", 0, None
    )  # fmt: skip
    assert done_steps == [0, 1]
    # Due at once: the next runner goes on from there.
    assert (await Runner(app.state.sessionmaker, registry, SETTINGS).run_until_idle())["jobs"] == 1
    assert done_steps == [0, 1, 2, 3]
    assert (await row(app, job_id)).state == "done"


async def test_jobs_of_a_deleted_org_go_with_it(app) -> None:
    from greenroom.tenancy.models import Organization

    org = await make_org(app)
    name = kind()
    job_id = await enqueue(app, name, org_id=org.id, environment="production")
    async with app.state.sessionmaker() as session, session.begin():
        found = await session.get(Organization, org.id)
        await session.delete(found)
    async with app.state.sessionmaker() as session:
        assert await session.get(Job, job_id) is None


def test_a_kind_is_registered_once() -> None:
    async def handler(ctx: JobContext) -> None:
        pass

    registry = Registry()
    registry.job("x", handler)
    with pytest.raises(ValueError, match="twice"):
        registry.periodic("x", handler, every=timedelta(seconds=1))
