"""The SQL of the jobs table: enqueue, claim, hold, finish, retry, forget.

Every function takes the caller's session and runs inside its transaction; none commits. So
`enqueue` commits (or rolls back) with the change that asked for the work.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import clock
from greenroom.core.db import dialect_insert, new_id
from greenroom.jobs.leases import lease
from greenroom.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job

MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job as its handler sees it once claimed."""

    id: uuid.UUID
    kind: str
    payload: Mapping[str, Any]
    org_id: uuid.UUID | None
    environment: str | None
    attempts: int  # this claim included
    max_attempts: int
    unique_key: str | None
    owner: str


def periodic_key(kind: str) -> str:
    return f"periodic:{kind}"


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    org_id: uuid.UUID | None = None,
    environment: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> uuid.UUID:
    """Queue a job in the caller's transaction; its id. It runs once that transaction commits
    (a runner wakes within `jobs_poll_seconds`, or at once when woken: `Runner.run_now`)."""
    now = clock.now()
    job_id = new_id()
    await session.execute(
        dialect_insert(session)(Job).values(
            id=job_id,
            kind=kind,
            payload=dict(payload or {}),
            org_id=org_id,
            environment=environment,
            state=QUEUED,
            run_after=run_after or now,
            attempts=0,
            max_attempts=max_attempts,
            created_at=now,
            updated_at=now,
        )
    )
    return job_id


async def ensure_periodic(session: AsyncSession, kind: str, every: timedelta) -> None:
    """Make sure the periodic job `kind` has its row (one for all processes), due within
    `every` from now: every process calls this at start-up, and one of them runs each round."""
    now = clock.now()
    key = periodic_key(kind)
    await session.execute(
        dialect_insert(session)(Job)
        .values(
            id=new_id(),
            kind=kind,
            payload={},
            state=QUEUED,
            run_after=now + every,
            attempts=0,
            max_attempts=3,
            unique_key=key,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["unique_key"])
    )
    # A shorter interval than the one the row was scheduled with takes effect now.
    await session.execute(
        update(Job)
        .where(Job.unique_key == key, Job.state == QUEUED, Job.run_after > now + every)
        .values(run_after=now + every, updated_at=now)
    )


def _claimable(now: datetime) -> Any:
    return or_(
        and_(Job.state == QUEUED, Job.run_after <= now),
        and_(Job.state == RUNNING, Job.lease_expires_at < now),
    )


_RETURNED = (
    Job.id,
    Job.kind,
    Job.payload,
    Job.org_id,
    Job.environment,
    Job.attempts,
    Job.max_attempts,
    Job.unique_key,
)


async def claim(
    session: AsyncSession,
    *,
    kinds: Collection[str],
    owner: str,
    lease_for: timedelta,
    limit: int,
    org_ids: Collection[uuid.UUID] | None = None,
    job_id: uuid.UUID | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due jobs of `kinds` to `owner` (or just `job_id`, if it is due):
    queued ones whose time has come, oldest first, and running ones whose lease expired."""
    if not kinds or limit < 1:
        return []
    now = clock.now()
    candidates = (
        select(Job.id)
        .where(_claimable(now), Job.kind.in_(list(kinds)))
        .order_by(Job.run_after)
        .limit(limit)
    )
    if org_ids is not None:
        candidates = candidates.where(Job.org_id.in_(list(org_ids)))
    if job_id is not None:
        candidates = candidates.where(Job.id == job_id)
    statement = lease(
        Job,
        Job.id,
        candidates,
        {
            "state": RUNNING,
            "lease_owner": owner,
            "lease_expires_at": now + lease_for,
            "attempts": Job.attempts + 1,
            "updated_at": now,
        },
    ).returning(*_RETURNED)
    rows = (await session.execute(statement)).all()
    return [
        Claimed(
            id=row.id,
            kind=row.kind,
            payload=row.payload or {},
            org_id=row.org_id,
            environment=row.environment,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            unique_key=row.unique_key,
            owner=owner,
        )
        for row in rows
    ]


def _mine(job: Claimed) -> Any:
    return and_(Job.id == job.id, Job.lease_owner == job.owner, Job.state == RUNNING)


async def hold(session: AsyncSession, job: Claimed, lease_for: timedelta) -> bool:
    """In the transaction that records a piece of the job's work: True if the job is still
    leased to this claim, and the lease renewed; False if another runner took it over (its lease
    had expired), and then the caller must record nothing. On PostgreSQL the row stays locked
    until the caller's transaction ends, so a takeover cannot slip in between."""
    now = clock.now()
    result = await session.execute(
        update(Job).where(_mine(job)).values(lease_expires_at=now + lease_for, updated_at=now)
    )
    return _rowcount(result) == 1


async def renew(
    session: AsyncSession, jobs: Sequence[Claimed], lease_for: timedelta
) -> set[uuid.UUID]:
    """Extend the leases of running jobs; the ids of those no longer leased to their claim."""
    lost = set()
    for job in jobs:
        if not await hold(session, job, lease_for):
            lost.add(job.id)
    return lost


async def finish(session: AsyncSession, job: Claimed, *, every: timedelta | None) -> bool:
    """The job succeeded: done, or for a periodic job queued for its next round."""
    now = clock.now()
    if every is not None:
        values: dict[str, Any] = {"state": QUEUED, "run_after": now + every, "attempts": 0}
    else:
        values = {"state": DONE, "finished_at": now}
    values.update(lease_owner=None, lease_expires_at=None, last_error=None, updated_at=now)
    result = await session.execute(update(Job).where(_mine(job)).values(values))
    return _rowcount(result) == 1


async def retry_later(session: AsyncSession, job: Claimed, error: str, *, wait: timedelta) -> bool:
    """The claim failed and attempts remain: queued again after `wait`."""
    now = clock.now()
    result = await session.execute(
        update(Job)
        .where(_mine(job))
        .values(
            state=QUEUED,
            run_after=now + wait,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error[:MAX_ERROR],
            updated_at=now,
        )
    )
    return _rowcount(result) == 1


async def give_up(
    session: AsyncSession, job: Claimed, error: str, *, every: timedelta | None
) -> bool:
    """No attempts left: failed for good (a periodic job waits for its next round instead)."""
    now = clock.now()
    values: dict[str, Any] = {"state": FAILED, "finished_at": now}
    if every is not None:
        values = {"state": QUEUED, "run_after": now + every, "attempts": 0}
    values.update(
        lease_owner=None, lease_expires_at=None, last_error=error[:MAX_ERROR], updated_at=now
    )
    result = await session.execute(update(Job).where(_mine(job)).values(values))
    return _rowcount(result) == 1


async def release(session: AsyncSession, job: Claimed) -> bool:
    """The runner is stopping: hand the job back, due now, this claim not counted as an
    attempt, so that another process (or this one, restarted) goes on with it at once."""
    now = clock.now()
    result = await session.execute(
        update(Job)
        .where(_mine(job))
        .values(
            state=QUEUED,
            run_after=now,
            attempts=Job.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )
    return _rowcount(result) == 1


async def get(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    return await session.get(Job, job_id)


async def forget_finished(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` done or failed jobs that finished before `before`."""
    doomed = (
        select(Job.id).where(Job.state.in_((DONE, FAILED)), Job.finished_at < before).limit(limit)
    )
    result = await session.execute(
        delete(Job).where(Job.id.in_(doomed)).execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
