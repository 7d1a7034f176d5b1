from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from greenroom import background
from greenroom.cli.common import settings
from greenroom.core.db import Database
from greenroom.exports.archive import exports_storage
from greenroom.practice.storage import recordings_storage
from greenroom.subscribers import subscribe_all
from greenroom.webhooks.worker import DELIVER


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due now (jobs, deliveries), then exit")
    ] = False,
) -> None:
    """Run background jobs and webhook deliveries (as many as you like, sharing the database)."""
    cfg = settings()
    # The purge deletes users: their recordings go too (the server subscribes this in create_app).
    subscribe_all(recordings_storage(cfg), exports=exports_storage(cfg.data_dir))

    async def main() -> dict[str, int]:
        database = Database(cfg.resolved_database_url)
        speech = background.speech_pool(cfg)
        try:
            runner = background.runner(cfg, database, speech=speech)
            if once:
                return await runner.run_until_idle()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            names = [*runner.kinds, *runner.registry.loops]
            typer.echo(f"greenroom worker {runner.name}: running {', '.join(names)}")
            await runner.run_forever(stop)
            return {}
        finally:
            speech.close()
            await database.dispose()

    done = asyncio.run(main())
    if once:
        typer.echo(f"ran {done.get('jobs', 0)} jobs; attempted {done.get(DELIVER, 0)} deliveries")
