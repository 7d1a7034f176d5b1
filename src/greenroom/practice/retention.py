"""Retention of recordings: a periodic job removes the recordings (and, if the org chose so,
the transcripts) of answers older than the org's `recording_retention_days`.

The answer stays, with its text, rating, feedback figures and `duration_ms`: `media_key` becomes
None and `media_removed_at` / `removed_after_days` say what happened, so the pages and the
Partner API can say "Recording removed after N days" (`transcript_removed_at` likewise).

How it runs, for each org with retention on and each environment:

- Batches of `BATCH` answers, each in a transaction of its own: the rows are read with
  `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite takes writers one at a time), changed, and the
  files removed once that transaction has committed (`cleanup.delete_after_commit`); a rolled
  back batch leaves its files. Between batches the job pauses, so requests get the database
  (on SQLite there is one writer).
- The org's setting is read again in every batch: turned off or changed meanwhile, the next
  batch follows the new setting.
- Resumable: a batch is the unit of work; a round that stops (the runner stops, the process
  dies) leaves committed batches done, and the next round finds only what is left.
- Audited: one `recordings.expired` entry per org and round (actor "system"), written with the
  round's first batch and its count raised in the transaction of each later batch, so it always
  says exactly what was removed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.audit import service as audit
from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.jobs import JobContext, Registry
from greenroom.practice import repository
from greenroom.practice.cleanup import delete_after_commit
from greenroom.practice.models import ANALYSIS_FAILED, ANALYSIS_PENDING, Answer
from greenroom.practice.storage import Storage
from greenroom.tenancy import repository as orgs
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.tenancy.service import Retention

log = logging.getLogger("greenroom.practice.retention")

KIND = "recordings.retention"
EXPIRED = "recordings.expired"
ACTOR = "system"
# Answers per transaction: each may remove a file after the commit; keep the write lock short.
BATCH = 100
NOT_ANALYSED = "This recording was removed before it could be analysed."

Hold = Callable[[AsyncSession], Awaitable[bool]]
Pause = Callable[[], Awaitable[None]]


async def _held(_session: AsyncSession) -> bool:
    return True


async def _yield() -> None:
    await asyncio.sleep(0)


@dataclass
class _Round:
    """One org's part of a round: what it removed so far and its audit entry."""

    org_id: uuid.UUID
    recordings: int = 0
    transcripts: int = 0
    entry: uuid.UUID | None = None
    days: set[int] = field(default_factory=set)

    def details(self) -> dict[str, object]:
        return {
            "count": self.recordings,
            "transcripts": self.transcripts,
            "days": max(self.days) if self.days else None,
        }


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    *,
    batch: int = BATCH,
    org_ids: Collection[uuid.UUID] | None = None,
    hold: Hold = _held,
    pause: Pause = _yield,
) -> dict[uuid.UUID, int]:
    """One round over every org with retention on (only `org_ids` when given: tests); how
    many recordings each org lost. `hold` is called first in each transaction (False: the job
    is no longer ours, stop), `pause` between transactions."""
    async with sessions() as session:
        found = [org.id for org in await orgs.with_retention(session)]
    wanted = found if org_ids is None else [org_id for org_id in found if org_id in org_ids]
    removed: dict[uuid.UUID, int] = {}
    for org_id in wanted:
        done = _Round(org_id)
        for environment in Environment:
            if not await _sweep_environment(
                sessions, storage, done, environment, batch, hold, pause
            ):
                return removed
        if done.recordings:
            removed[org_id] = done.recordings
        if done.recordings or done.transcripts:
            log.info(
                "recordings removed after the org's retention",
                extra={"org_id": str(org_id), **done.details()},
            )
    return removed


async def _sweep_environment(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    done: _Round,
    environment: Environment,
    batch: int,
    hold: Hold,
    pause: Pause,
) -> bool:
    """The org's answers in one environment, batch by batch; False when the job was lost."""
    while True:
        async with sessions() as session, session.begin():
            if not await hold(session):
                return False
            org = await session.get(Organization, done.org_id)
            policy = Retention.of(org) if org is not None else Retention(None, False)
            if policy.days is None:  # turned off (or the org deleted) meanwhile
                return True
            now = clock.now()
            answers = await repository.expired_answers(
                session,
                done.org_id,
                environment.value,
                now - timedelta(days=policy.days),
                transcripts=policy.includes_transcripts,
                limit=batch,
            )
            for answer in answers:
                _expire(session, storage, answer, policy, now, done)
            if answers:
                await session.flush()
                await _audit(session, done)
        if len(answers) < batch:
            return True
        await pause()


def _expire(
    session: AsyncSession,
    storage: Storage,
    answer: Answer,
    policy: Retention,
    now: datetime,
    done: _Round,
) -> None:
    assert policy.days is not None
    if answer.media_key is not None:
        delete_after_commit(session, storage, answer.media_key)
        answer.media_key = None
        answer.media_removed_at = now
        answer.removed_after_days = policy.days
        if answer.analysis_status == ANALYSIS_PENDING:  # nothing left to analyse
            answer.analysis_status = ANALYSIS_FAILED
            answer.analysis_error = NOT_ANALYSED
        done.recordings += 1
    if policy.includes_transcripts and answer.transcript_removed_at is None:
        answer.transcript = None
        answer.transcript_removed_at = now
        if answer.removed_after_days is None:
            answer.removed_after_days = policy.days
        done.transcripts += 1
    done.days.add(policy.days)


async def _audit(session: AsyncSession, done: _Round) -> None:
    if done.entry is None:
        entry = await audit.record(
            session,
            org_id=done.org_id,
            environment=None,
            event=EXPIRED,
            actor=ACTOR,
            details=done.details(),
        )
        done.entry = entry.id
    else:
        await audit.set_details(session, done.entry, done.details())


def register(registry: Registry, settings: Settings, storage: Storage) -> None:
    """The sweep as a periodic job, every `purge_interval_seconds` (called at start-up)."""

    async def run(ctx: JobContext) -> None:
        await sweep(ctx.sessions, storage, hold=ctx.hold, pause=ctx.pause)

    registry.periodic(KIND, run, every=timedelta(seconds=settings.purge_interval_seconds))
