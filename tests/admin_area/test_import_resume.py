"""An import whose process died mid-job is resumed by any runner once its lease has expired,
from where it stopped; one that keeps failing is retried with backoff, then marked failed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admin_area import imports
from greenroom.admin_area.models import ImportJob
from greenroom.core import clock
from greenroom.jobs import JobContext, Registry, Runner, RunnerSettings
from greenroom.jobs.models import Job
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import service as users
from greenroom.users.models import User
from tests.factories import make_org

ROWS = 5
SETTINGS = RunnerSettings(lease_seconds=60)


class ProcessDied(BaseException):
    """Stands for the process going away: none of the runner's own handling runs."""


def runner_for(app: FastAPI, org: Organization, **options: Any) -> Runner:
    """A runner of import jobs, for this org's jobs only (other tests share the database)."""
    registry = Registry()
    imports.register(registry)
    return Runner(app.state.sessionmaker, registry, SETTINGS, org_ids=[org.id], **options)


async def queued_import(app: FastAPI, rows: int = ROWS) -> tuple[Organization, ImportJob]:
    org = await make_org(app)
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    parsed = imports.parse(
        b"partner_id,email,first_name,last_name\n"
        + b"".join(f"p{i},p{i}@xyz.example.com,P{i},Q{i}\n".encode() for i in range(rows))
    ).rows
    async with app.state.sessionmaker() as session, session.begin():
        job = await imports.start(
            session, tenant, "production", rows=parsed, created_by="a@xyz.example.com", filename="u"
        )
    return org, job


async def crashed_job(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> tuple[Organization, ImportJob, JobContext]:
    """A job run by a runner whose process "dies" after the first batch; and that claim."""
    monkeypatch.setattr(imports, "BATCH", 2)
    org, job = await queued_import(app)
    seen: list[JobContext] = []

    async def die_before_the_second_batch(ctx: JobContext) -> None:
        seen.append(ctx)
        if len(seen) == 2:
            raise ProcessDied

    assert job.job_id is not None
    with pytest.raises(ProcessDied):
        await runner_for(app, org, on_pause=die_before_the_second_batch).run_now(job.job_id)
    return org, job, seen[0]


async def rows_of(db: AsyncSession, import_id: uuid.UUID) -> tuple[ImportJob, Job]:
    db.expire_all()
    found = await db.get(ImportJob, import_id)
    assert found is not None and found.job_id is not None
    job = await db.get(Job, found.job_id)
    assert job is not None
    return found, job


async def test_an_abandoned_job_is_resumed_and_each_row_applied_once(app, db, monkeypatch) -> None:
    org, started, _ = await crashed_job(app, monkeypatch)
    found, job = await rows_of(db, started.id)
    assert (found.status, found.processed, found.created_count) == ("running", 2, 2)
    assert job.state == "running" and job.lease_owner is not None
    await db.rollback()

    clock.advance(SETTINGS.lease + timedelta(seconds=1))
    assert (await runner_for(app, org).run_until_idle())["jobs"] == 1

    found, job = await rows_of(db, started.id)
    assert found.status == "done" and found.finished_at is not None
    assert (found.processed, found.created_count, found.updated_count) == (ROWS, ROWS, 0)
    assert found.errors == [] and found.rows == ""
    assert (job.state, job.attempts, job.lease_owner) == ("done", 2, None)
    users_ = (await db.execute(select(User).where(User.org_id == org.id))).scalars().all()
    assert sorted(u.partner_id for u in users_) == [f"p{i}" for i in range(ROWS)]
    await db.rollback()
    # Finished: the next runner has nothing to do.
    assert (await runner_for(app, org).run_until_idle())["jobs"] == 0


async def test_a_job_with_a_live_lease_is_not_taken_over(app, db, monkeypatch) -> None:
    org, started, _ = await crashed_job(app, monkeypatch)
    clock.advance(SETTINGS.lease - timedelta(seconds=1))
    assert (await runner_for(app, org).run_until_idle())["jobs"] == 0
    found, _job = await rows_of(db, started.id)
    assert (found.status, found.processed) == ("running", 2)


async def test_a_runner_that_lost_its_lease_applies_nothing_more(app, db, monkeypatch) -> None:
    org, started, old_claim = await crashed_job(app, monkeypatch)
    clock.advance(SETTINGS.lease + timedelta(seconds=1))
    assert (await runner_for(app, org).run_until_idle())["jobs"] == 1
    # The first claim wakes up and tries its next batch: refused, nothing applied twice.
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    rows = [{"line": 4, "partner_id": "late", "fields": {"first_name": "L", "last_name": "M"}}]
    assert await imports._apply_batch(old_claim, tenant, started.id, 2, rows) is False
    assert old_claim.lost
    found, _job = await rows_of(db, started.id)
    assert (found.status, found.processed, found.created_count, found.updated_count) == (
        "done", ROWS, ROWS, 0
    )  # fmt: skip
    names = (await db.execute(select(User.partner_id).where(User.org_id == org.id))).scalars()
    assert "late" not in list(names)


async def test_a_job_queued_by_a_process_that_died_is_run_by_the_next_runner(app, db) -> None:
    # The upload committed the job, and its process died before starting it.
    org, started = await queued_import(app, rows=1)
    assert (await runner_for(app, org).run_until_idle())["jobs"] == 1
    found, job = await rows_of(db, started.id)
    assert (found.status, found.created_count, job.state) == ("done", 1, "done")


async def test_an_import_that_keeps_failing_is_retried_then_marked_failed(
    app, db, monkeypatch
) -> None:
    org, started = await queued_import(app, rows=3)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(users, "create_or_update", broken)
    runner = runner_for(app, org)
    for attempt in range(1, imports.MAX_ATTEMPTS):
        assert (await runner.run_until_idle())["jobs"] == 1
        found, job = await rows_of(db, started.id)
        assert (found.status, job.state, job.attempts) == ("running", "queued", attempt)
        assert "the database went away" in (job.last_error or "")
        problem = await imports.job_problem(db, found)
        assert problem is not None and f"attempt {attempt} of" in problem
        # Backoff: not due again at once; exponential from the base, with jitter.
        wait = job.run_after - clock.now()
        base = SETTINGS.retry_base_seconds * 2 ** (attempt - 1)
        assert timedelta(seconds=base * 0.74) <= wait <= timedelta(seconds=base * 1.26)
        await db.rollback()
        assert (await runner.run_until_idle())["jobs"] == 0
        clock.advance(wait)
    assert (await runner.run_until_idle())["jobs"] == 1
    found, job = await rows_of(db, started.id)
    assert (found.status, job.state, job.attempts) == ("failed", "failed", imports.MAX_ATTEMPTS)
    assert found.finished_at is not None and found.processed == 0
    problem = await imports.job_problem(db, found)
    assert problem is not None and "Upload the file again" in problem
