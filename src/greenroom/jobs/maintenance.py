"""The jobs table's own upkeep: finished jobs are forgotten after `jobs_retention_days`."""

from __future__ import annotations

from datetime import timedelta

from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.jobs import queue
from greenroom.jobs.runner import JobContext, Registry

KIND = "jobs.forget"
BATCH = 200


def register(registry: Registry, settings: Settings) -> None:
    retention = timedelta(days=settings.jobs_retention_days)

    async def forget(ctx: JobContext) -> None:
        before = clock.now() - retention
        while True:
            async with ctx.sessions() as session, session.begin():
                if not await ctx.hold(session):
                    return
                gone = await queue.forget_finished(session, before=before, limit=BATCH)
            if gone < BATCH:
                return
            await ctx.pause()

    registry.periodic(KIND, forget, every=timedelta(seconds=settings.purge_interval_seconds))
