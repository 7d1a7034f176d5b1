"""The `transcription` job: a recorded answer's transcript and spoken feedback, offline.

Queued with the answer (`service.answer_media`, in its transaction) and started at once in the
process that took the upload (`Runner.run_now`, after the response); any runner resumes it
should that process die (leases: `greenroom.jobs`).

1. A short transaction reads what to analyse (nothing when the answer was analysed, replaced or
   deleted meanwhile: the job is idempotent).
2. The analysis (decode, voice activity, transcription, feedback: `speech.pipeline`) runs in a
   worker process of the `SpeechPool`, never on the event loop; the runner renews the lease
   meanwhile, and when the runner stops, the job is handed back (and analysed again later).
3. A second short transaction writes the result with progress and `interview.updated`
   (`service.record_analysis`), only while the job is still this claim's.

A recording with no usable sound is recorded as failed at once, with a sentence for the student;
other errors are retried with backoff, and after the last attempt the answer says that the
analysis failed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import Pack
from greenroom.jobs import Claimed, JobContext, Registry
from greenroom.practice import service
from greenroom.practice.storage import Storage
from greenroom.speech.pool import SpeechPool

log = logging.getLogger("greenroom.practice.transcription")

KIND = service.TRANSCRIPTION_JOB
GAVE_UP = (
    "We could not analyse this recording, so it has no transcript or feedback. "
    "You can still watch it; record the answer again to get feedback."
)
_WAIT_STEP = 1.0  # seconds between looks at the runner (stopping?) while a worker analyses


def register(registry: Registry, *, pool: SpeechPool, storage: Storage, pack: Pack) -> None:
    """The `transcription` kind (called by `greenroom.background`). Checks the engine's name
    now, so that a wrong `GREENROOM_SPEECH_ENGINE` stops the start-up."""
    pool.check()

    async def run(ctx: JobContext) -> None:
        await transcribe(ctx, pool=pool, storage=storage, pack=pack)

    async def gave_up(session: AsyncSession, claimed: Claimed, error: str) -> None:
        answer_id = uuid.UUID(str(claimed.payload["answer_id"]))
        log.error("transcription gave up", extra={"answer_id": str(answer_id)})
        await service.record_analysis(session, answer_id, pack, error=GAVE_UP)

    registry.job(KIND, run, max_attempts=service.TRANSCRIPTION_ATTEMPTS, on_give_up=gave_up)


async def transcribe(ctx: JobContext, *, pool: SpeechPool, storage: Storage, pack: Pack) -> None:
    answer_id = uuid.UUID(str(ctx.payload["answer_id"]))
    async with ctx.sessions() as session, session.begin():
        if not await ctx.hold(session):
            return
        found = await service.analysis_input(session, answer_id)
    if found is None:
        return
    key, tips = found
    result = await _analyse_watching(ctx, pool, storage, key, tips)
    await ctx.pause()
    async with ctx.sessions() as session, session.begin():
        if not await ctx.hold(session):
            return
        if "refused" in result:
            await service.record_analysis(session, answer_id, pack, error=str(result["refused"]))
        else:
            await service.record_analysis(session, answer_id, pack, result=result)


async def _analyse_watching(
    ctx: JobContext, pool: SpeechPool, storage: Storage, key: str, tips: list[str]
) -> dict[str, Any]:
    """The pool's analysis, looking at the runner every second meanwhile: `ctx.pause()` raises
    when it stops (the job is handed back) or lost the job."""
    # The worker reads a plaintext file: the recording itself, or, when it is sealed at rest, a
    # copy in a scratch folder (made and removed in a thread, off the event loop).
    plain = storage.plain_copy(key)
    path = await asyncio.to_thread(plain.__enter__)
    try:
        analysis = asyncio.ensure_future(pool.analyse(path, tips=tips))
        try:
            while True:
                done, _ = await asyncio.wait({analysis}, timeout=_WAIT_STEP)
                if done:
                    return analysis.result()
                await ctx.pause()
        finally:
            if not analysis.done():
                analysis.cancel()  # the worker finishes its current file; nothing waits for it
    finally:
        await asyncio.to_thread(plain.__exit__, None, None, None)
