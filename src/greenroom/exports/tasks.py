"""The export's background work: `user.export` builds one ZIP, `exports.expire` (periodic)
deletes the files of exports past their 24 hours.

`user.export`, queued with the export (`service.start`) and started at once in the process
that took the request (`Runner.run_now`); any runner resumes it should that process die:

1. A short transaction marks the export running and reads everything it holds (`service.plan`;
   nothing when it is ready, failed, expired or gone: the job may run twice).
2. The ZIP is written in a thread (`archive.write_zip`): recordings copied in chunks, never the
   whole file in memory; under a temporary name, renamed when complete. A rerun writes it again
   from the start (the same key), which is what makes it resumable.
3. A second short transaction records it ready and publishes `user.exported`
   (`service.finish`), only while the job is still this claim's. If the user was erased
   meanwhile, the file just written is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import Pack
from greenroom.core import clock
from greenroom.core.settings import Settings
from greenroom.exports import archive, service
from greenroom.jobs import Claimed, JobContext, Registry
from greenroom.practice.storage import Storage

log = logging.getLogger("greenroom.exports")

KIND = service.KIND
SWEEP_KIND = "exports.expire"
SWEEP_BATCH = 200
GAVE_UP = "The export could not be built. Ask for a new one; if it fails again, tell us."


def register(
    registry: Registry, settings: Settings, *, recordings: Storage, exports: Storage, pack: Pack
) -> None:
    """The `user.export` and `exports.expire` kinds (called by `greenroom.background`)."""

    async def run(ctx: JobContext) -> None:
        await build(ctx, recordings=recordings, exports=exports, pack=pack)

    async def gave_up(session: AsyncSession, claimed: Claimed, error: str) -> None:
        export_id = uuid.UUID(str(claimed.payload["export_id"]))
        log.error("export gave up", extra={"export_id": str(export_id)})
        await service.fail(session, export_id, GAVE_UP)

    async def sweep(ctx: JobContext) -> None:
        await expire(ctx, exports)

    registry.job(KIND, run, max_attempts=service.ATTEMPTS, on_give_up=gave_up)
    registry.periodic(SWEEP_KIND, sweep, every=timedelta(seconds=settings.purge_interval_seconds))


async def build(ctx: JobContext, *, recordings: Storage, exports: Storage, pack: Pack) -> None:
    export_id = uuid.UUID(str(ctx.payload["export_id"]))
    async with ctx.sessions() as session, session.begin():
        if not await ctx.hold(session):
            return
        plan = await service.plan(session, export_id, pack)
    if plan is None:
        return
    await ctx.pause()
    target = exports.path(plan.key)
    try:
        size = await asyncio.to_thread(
            archive.write_zip, target, plan.media, plan.documents, recordings, when=clock.now()
        )
    except FileNotFoundError:
        # The user's folder went while the file was written: the user was erased, and the
        # export with them, so there is nothing to finish. Anything else fails the attempt.
        async with ctx.sessions() as session:
            if await service.gone(session, export_id):
                return
        raise
    await ctx.pause()
    async with ctx.sessions() as session, session.begin():
        if not await ctx.hold(session):
            return  # another runner has the job: it writes the same file again
        kept = await service.finish(session, export_id, plan.key, size)
    if not kept:
        # The user (or the export) went meanwhile: the file goes, and the user's folder that
        # writing it made again, when nothing else is in it.
        exports.delete(plan.key)
        with contextlib.suppress(OSError):
            target.parent.rmdir()


async def expire(ctx: JobContext, exports: Storage) -> None:
    while True:
        async with ctx.sessions() as session, session.begin():
            if not await ctx.hold(session):
                return
            done = await service.expire(session, exports, limit=SWEEP_BATCH)
        if done < SWEEP_BATCH:
            return
        await ctx.pause()
