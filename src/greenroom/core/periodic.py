"""Background work repeated in every server process: purges, sweeps."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable


async def every(
    interval: float,
    job: Callable[[], Awaitable[object]],
    *,
    log: logging.Logger,
    what: str,
    rounds: int | None = None,
) -> None:
    """Run `job` every `interval` seconds (forever, or `rounds` times). A failure is logged and
    the next round comes as planned. Jitter keeps several processes from running in lock-step."""
    done = 0
    while rounds is None or done < rounds:
        done += 1
        await asyncio.sleep(interval * random.uniform(0.5, 1.0))  # noqa: S311
        try:
            await job()
        except Exception:
            log.exception("%s failed; will retry", what)
