from __future__ import annotations

import typer

from greenroom.cli.common import settings
from greenroom.core.migrate import upgrade as run_upgrade

app = typer.Typer(help="The database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration."""
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    run_upgrade(cfg.resolved_database_url)
    typer.echo("database is up to date")
