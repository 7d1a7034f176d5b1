"""Plumbing shared by the CLI commands: a database session per command, clear failures."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.db import Database
from greenroom.core.errors import AppError
from greenroom.core.settings import Settings, get_settings
from greenroom.exports.archive import exports_storage
from greenroom.practice.storage import recordings_storage
from greenroom.subscribers import subscribe_all

T = TypeVar("T")


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        # Only the messages: pydantic's full text repeats the input, which may be a secret.
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        fail(f"invalid configuration: {messages}")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction: committed when it returns, rolled back when it fails."""

    async def main() -> T:
        cfg = settings()
        # What reacts to the command's changes (webhooks, recordings), as in the server.
        subscribe_all(recordings_storage(cfg), exports=exports_storage(cfg.data_dir))
        database = Database(cfg.resolved_database_url)
        try:
            async with database.writer() as session, session.begin():
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        fail(exc.detail)
    except Exception as exc:  # a database that is down or not migrated, for instance
        if type(exc).__name__ in ("OperationalError", "ProgrammingError", "InterfaceError"):
            fail(
                f"database error ({type(exc).__name__}); is it reachable, and did "
                "`greenroom db upgrade` run?"
            )
        raise


def read_stdin_line() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")
