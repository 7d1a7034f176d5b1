"""An import whose process died mid-job is resumed by the sweep, from where it stopped."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admin_area import imports
from greenroom.admin_area.models import ImportJob
from greenroom.core import clock
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from tests.factories import make_org

ROWS = 5


async def crashed_job(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> tuple[Organization, uuid.UUID]:
    """A job started through `start` and `run`, whose process "dies" after its first batch."""
    monkeypatch.setattr(imports, "BATCH", 2)
    org = await make_org(app)
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    rows = imports.parse(
        b"partner_id,email,first_name,last_name\n"
        + b"".join(f"p{i},p{i}@xyz.example.com,P{i},Q{i}\n".encode() for i in range(ROWS))
    ).rows
    sessions = app.state.sessionmaker
    async with sessions() as session, session.begin():
        job = await imports.start(
            session, tenant, "production", rows=rows, created_by="a@xyz.example.com", filename="u"
        )
    real_apply = imports._apply_batch
    batches = 0

    async def apply_then_die(*args, **kwargs):
        nonlocal batches
        if batches == 1:
            raise asyncio.CancelledError  # the process goes away between two batches
        batches += 1
        return await real_apply(*args, **kwargs)

    monkeypatch.setattr(imports, "_apply_batch", apply_then_die)
    with pytest.raises(asyncio.CancelledError):
        await imports.run(sessions, tenant, job.id)
    monkeypatch.setattr(imports, "_apply_batch", real_apply)
    return org, job.id


async def job_row(db: AsyncSession, job_id: uuid.UUID) -> ImportJob:
    db.expire_all()
    job = await db.get(ImportJob, job_id)
    assert job is not None
    return job


async def test_an_abandoned_job_is_resumed_and_each_row_applied_once(app, db, monkeypatch) -> None:
    org, job_id = await crashed_job(app, monkeypatch)
    job = await job_row(db, job_id)
    assert (job.status, job.processed, job.created_count) == ("running", 2, 2)
    await db.rollback()

    clock.advance(imports.LEASE + timedelta(seconds=1))
    assert await imports.resume_stale(app.state.sessionmaker, org_ids=[org.id]) == 1

    job = await job_row(db, job_id)
    assert job.status == "done" and job.finished_at is not None
    assert (job.processed, job.created_count, job.updated_count) == (ROWS, ROWS, 0)
    assert job.errors == [] and job.rows == ""
    users = (await db.execute(select(User).where(User.org_id == org.id))).scalars().all()
    assert sorted(u.partner_id for u in users) == [f"p{i}" for i in range(ROWS)]
    await db.rollback()
    # Finished: the next sweep has nothing to do.
    assert await imports.resume_stale(app.state.sessionmaker, org_ids=[org.id]) == 0


async def test_a_job_with_a_fresh_heartbeat_is_not_taken_over(app, db, monkeypatch) -> None:
    org, job_id = await crashed_job(app, monkeypatch)
    clock.advance(imports.LEASE - timedelta(seconds=1))
    assert await imports.resume_stale(app.state.sessionmaker, org_ids=[org.id]) == 0
    job = await job_row(db, job_id)
    assert (job.status, job.processed) == ("running", 2)


async def test_a_runner_that_lost_its_lease_applies_nothing_more(app, db, monkeypatch) -> None:
    org, job_id = await crashed_job(app, monkeypatch)
    job = await job_row(db, job_id)
    old_token = job.run_token
    await db.rollback()
    clock.advance(imports.LEASE + timedelta(seconds=1))
    assert await imports.resume_stale(app.state.sessionmaker, org_ids=[org.id]) == 1
    # The first runner wakes up and tries its next batch: refused, nothing applied twice.
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    assert old_token is not None
    applied = await imports._apply_batch(
        app.state.sessionmaker, tenant, "production", job_id, old_token, 2, []
    )
    assert applied is False
    job = await job_row(db, job_id)
    assert (job.status, job.processed, job.created_count, job.updated_count) == (
        "done", ROWS, ROWS, 0
    )  # fmt: skip


async def test_a_job_queued_by_a_process_that_died_is_started_by_the_sweep(app, db) -> None:
    org = await make_org(app)
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    rows = imports.parse(b"partner_id,email,first_name,last_name\nq1,q@xyz.example.com,Q,R\n").rows
    async with app.state.sessionmaker() as session, session.begin():
        job = await imports.start(
            session, tenant, "production", rows=rows, created_by="a@xyz.example.com", filename="u"
        )
    assert await imports.resume_stale(app.state.sessionmaker, org_ids=[org.id]) == 0
    clock.advance(imports.LEASE + timedelta(seconds=1))
    assert await imports.resume_stale(app.state.sessionmaker, org_ids=[org.id]) == 1
    done = await job_row(db, job.id)
    assert (done.status, done.created_count) == ("done", 1)
