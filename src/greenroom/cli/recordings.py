"""`greenroom recordings ...`: recording files sealed at rest (docs/operations.md, "Recordings at
rest"): how many are under which secret, and sealing them again under the current one."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from greenroom.cli.common import settings
from greenroom.practice import sealed
from greenroom.practice.storage import recordings_storage

app = typer.Typer(no_args_is_help=True, help="Recording files sealed at rest.")


@app.command("status")
def status() -> None:
    """Count recording files by the secret version they are sealed under ("plaintext" when not
    sealed; "unreadable" when one fails its check). Run it where the servers keep their data."""
    storage = recordings_storage(settings())
    counts: Counter[str] = Counter()
    for key in storage.keys():
        try:
            counts[storage.sealed_under(key) or "plaintext"] += 1
        except sealed.Unreadable as exc:
            counts["unreadable"] += 1
            typer.echo(f"unreadable: {key} ({exc})", err=True)
    for name, count in sorted(counts.items()):
        typer.echo(f"{name}\t{count}")
    if not counts:
        typer.echo("no recordings")


@app.command("reseal")
def reseal(
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Stop after sealing this many files")
    ] = 1_000_000,
) -> None:
    """Seal every plaintext file, and every file sealed under an older secret, under the first
    GREENROOM_SECRETS entry (sealing must be on: GREENROOM_ENCRYPT_RECORDINGS). Safe to run
    while serving and to run again; after it, `status` shows only the current version, and an
    older secret can be dropped (docs/operations.md, "Rotating the server secret")."""
    storage = recordings_storage(settings())
    if not storage.encrypts:
        typer.echo("sealing is off (GREENROOM_ENCRYPT_RECORDINGS): nothing to do", err=True)
        raise typer.Exit(1)
    done = failed = 0
    for key in storage.keys():
        if done >= limit:
            break
        try:
            done += storage.reseal(key)
        except sealed.Unreadable as exc:
            failed += 1
            typer.echo(f"unreadable, left as it is: {key} ({exc})", err=True)
    typer.echo(f"sealed {done} file(s) again; {failed} unreadable")
    if failed:
        raise typer.Exit(1)
