from __future__ import annotations

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.cli.common import run_in_session, settings
from greenroom.core import clock
from greenroom.idempotency import repository as idempotency
from greenroom.practice.cleanup import subscribe_recordings_cleanup
from greenroom.practice.storage import recordings_storage
from greenroom.users import service as users


def purge() -> None:
    """Delete anonymous users past their 24 hours, with all their data (the server also does
    this periodically), and stored Idempotency-Key responses older than 24 hours."""

    async def work(session: AsyncSession) -> int:
        count = await users.purge_expired(session)
        await idempotency.purge_expired(session, clock.now())
        return count

    # The server subscribes this in create_app; the CLI process must do it itself.
    subscribe_recordings_cleanup(recordings_storage(settings().data_dir))
    count = run_in_session(work)
    typer.echo(f"purged {count} expired anonymous user(s)")
