from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from greenroom.cli.common import settings
from greenroom.core.db import Database
from greenroom.webhooks.worker import Worker


def worker(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then exit")] = False,
) -> None:
    """Run the webhook delivery worker (as many as you like, sharing the database)."""
    cfg = settings()

    async def main() -> int:
        database = Database(cfg.resolved_database_url)
        try:
            runner = Worker(database.writer, cfg)
            if once:
                return await runner.run_until_idle()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await runner.run_forever(stop)
            return 0
        finally:
            await database.dispose()

    sent = asyncio.run(main())
    if once:
        typer.echo(f"attempted {sent} deliveries")
