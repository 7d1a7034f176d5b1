"""The operator's command line: `greenroom --help`.

Start-up is lazy: this module imports Typer and nothing of the service. Each sub-command is
listed here by name and summary, and its module (with the services, SQLAlchemy, the app...) is
imported only when that command runs or shows its own `--help`. So `greenroom --help` answers at
once, and `greenroom org list` does not import the web application.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> ("module:attribute", summary). The attribute is a Typer app (a group of commands) or
# a function (one command, its docstring being its help).
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("greenroom.cli.server:serve", "Apply migrations, then run the service."),
    "demo": ("greenroom.cli.server:demo", "The same as `greenroom serve --demo`."),
    "purge": (
        "greenroom.cli.purge:purge",
        "Delete expired anonymous users and old Idempotency-Key responses.",
    ),
    "worker": (
        "greenroom.cli.worker:worker",
        "Run background jobs and webhook deliveries (as many as you like, sharing the database).",
    ),
    "org": ("greenroom.cli.orgs:app", "Organizations (tenants)."),
    "admin": ("greenroom.cli.admins:app", "Org admins (people who log in to the admin area)."),
    "key": ("greenroom.cli.keys:app", "Org API keys."),
    "db": ("greenroom.cli.db:app", "The database."),
    "recordings": ("greenroom.cli.recordings:app", "Recording files sealed at rest."),
}


def load_command(name: str) -> TyperCommand | TyperGroup:
    """The real command behind `name`, importing its module."""
    target, _summary = COMMANDS[name]
    module_name, _, attribute = target.partition(":")
    found: Any = getattr(importlib.import_module(module_name), attribute)
    command: TyperCommand | TyperGroup
    if isinstance(found, typer.Typer):
        command = typer.main.get_group(found)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        built = typer.main.get_command(single)
        assert isinstance(built, TyperCommand)
        command = built
    command.name = name
    return command


class _LazyCommand(TyperCommand):
    """A sub-command known by name and summary; the real one is loaded when click runs it."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name, help=summary)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:  # Typer's own (vendored) click.Context
        # The group runs `sub_ctx.command`, so from here on click works with the real command.
        return load_command(self.name or "").make_context(info_name, args, parent, **extra)


class _LazyGroup(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (_target, summary) in COMMANDS.items():
            self.add_command(_LazyCommand(name, summary))


app = typer.Typer(
    cls=_LazyGroup,
    help="Greenroom: run the service and manage organizations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version")] = False,
) -> None:
    if version:
        from greenroom import __version__

        typer.echo(__version__)
        raise typer.Exit()
