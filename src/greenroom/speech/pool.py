"""Spoken-answer analysis in worker processes, off the event loop.

PocketSphinx holds the GIL while it decodes: run in a thread of the web process, one 30-second
answer held the event loop for 7.3 s (docs/decisions.md, "Spoken answers"). So the analysis runs
in a small pool of worker processes (`speech_workers`, default 1), started on first use with
the "spawn" method (the web process has threads: forking it is unsafe). Each worker loads the
engine's model once, when it starts, and keeps it for its life; it runs at a lower CPU priority
than the web process, so requests come first on a busy machine.

`SpeechPool.analyse(path, tips=...)` awaits the result without blocking the loop. The result is
plain JSON-ready data (no objects cross the process boundary but dicts and strings); a recording
with no usable sound comes back as `{"refused": "<a sentence for the student>"}` rather than an
exception. A worker that dies (killed, out of memory) makes that call raise
`BrokenProcessPool`; the next call starts a fresh pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from greenroom.speech import engines

NICE = 10  # the workers' CPU priority below the web process's (Unix "nice")

__all__ = ["NICE", "BrokenProcessPool", "SpeechPool"]


def _start_worker(engine: str) -> None:
    """In each new worker: lower its priority, then load the engine's model (once)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICE)
    loaded = engines.get_engine(engine)
    load = getattr(loaded, "load", None)
    if callable(load):
        load()


def _analyse(path: str, engine: str, tips: list[str] | None) -> dict[str, Any]:
    """In a worker: the whole analysis of one recording, as JSON-ready data."""
    from greenroom.speech import media, pipeline

    try:
        analysis = pipeline.analyse_recording(Path(path), engine=engine, tips=tips)
    except media.MediaRefused as exc:
        return {"refused": exc.detail}
    return {
        "transcript": analysis.transcript.to_dict(),
        "feedback": analysis.feedback,
        "duration": analysis.activity.duration,
        "pid": os.getpid(),
    }


class SpeechPool:
    """Worker processes that analyse recordings with the engine named `engine`."""

    def __init__(self, engine: str = engines.DEFAULT_ENGINE, workers: int = 1) -> None:
        self.engine = engine
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def check(self) -> None:
        """Raise `engines.UnknownEngine` now if the engine cannot be found (at start-up),
        without loading its model."""
        if self.engine not in engines.engine_names() and ":" not in self.engine:
            known = ", ".join(engines.engine_names())
            raise engines.UnknownEngine(f"no speech engine named {self.engine!r} (known: {known})")

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.engine,),
            )
        return self._executor

    async def analyse(self, path: Path, *, tips: Sequence[str] | None = None) -> dict[str, Any]:
        """Transcript, feedback and duration of the recording at `path`, from a worker."""
        loop = asyncio.get_running_loop()
        executor = self._pool()
        try:
            return await loop.run_in_executor(
                executor, _analyse, str(path), self.engine, None if tips is None else list(tips)
            )
        except BrokenProcessPool:
            if self._executor is executor:  # the next call starts a fresh pool
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        """Stop the workers now, also one in the middle of an analysis (its job was handed
        back, or will be claimed again once its lease expires)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
