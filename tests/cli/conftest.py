from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from greenroom.cli.main import app as cli_app
from greenroom.core.settings import get_settings


@pytest.fixture
def cli(settings, migrated):
    """`await cli("org", "create", ...)`: runs the real CLI against the test database.

    It runs in a worker thread because each command starts an event loop of its own.
    """
    base = {
        "GREENROOM_DATABASE_URL": settings.resolved_database_url,
        "GREENROOM_DATA_DIR": str(settings.data_dir),
        "GREENROOM_SECRETS": settings.secrets.get_secret_value(),
        "GREENROOM_WEBHOOKS_ALLOW_PRIVATE": str(settings.webhooks_allow_private).lower(),
    }
    runner = CliRunner()

    async def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        """`env` adds to (or replaces) the test settings' variables."""

        def run():
            get_settings.cache_clear()
            try:
                return runner.invoke(cli_app, list(args), env=base | (env or {}), input=input)
            finally:
                get_settings.cache_clear()

        return await asyncio.to_thread(run)

    return invoke
