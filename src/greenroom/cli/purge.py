from __future__ import annotations

import asyncio

import typer

from greenroom.cli.common import settings
from greenroom.core.db import Database
from greenroom.exports.archive import exports_storage
from greenroom.practice.storage import recordings_storage
from greenroom.subscribers import subscribe_all
from greenroom.users.tasks import purge_once


def purge() -> None:
    """Delete anonymous users past their 24 hours, with all their data (the server also does
    this periodically), stored Idempotency-Key responses older than 24 hours, and expired
    browser sessions."""
    cfg = settings()

    async def main() -> int:
        database = Database(cfg.resolved_database_url)
        try:
            return await purge_once(database.writer, session_idle_minutes=cfg.session_idle_minutes)
        finally:
            await database.dispose()

    # The server subscribes this in create_app; the CLI process must do it itself.
    subscribe_all(recordings_storage(cfg), exports=exports_storage(cfg.data_dir))
    count = asyncio.run(main())
    typer.echo(f"purged {count} expired anonymous user(s)")
