"""The operator's command line: `greenroom --help`."""

from __future__ import annotations

from typing import Annotated

import typer

from greenroom.cli import admins, db, keys, orgs, purge, server, worker

app = typer.Typer(
    help="Greenroom: run the service and manage organizations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(orgs.app, name="org")
app.add_typer(admins.app, name="admin")
app.add_typer(keys.app, name="key")
app.add_typer(db.app, name="db")
app.command("serve")(server.serve)
app.command("demo")(server.demo)
app.command("purge")(purge.purge)
app.command("worker")(worker.worker)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version")] = False,
) -> None:
    if version:
        from greenroom import __version__

        typer.echo(__version__)
        raise typer.Exit()
