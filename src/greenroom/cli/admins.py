from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admins import service
from greenroom.admins.models import AdminRole
from greenroom.admins.passwords import generate_password
from greenroom.cli.common import read_stdin_line, run_in_session
from greenroom.tenancy.service import get_org

app = typer.Typer(help="Org admins (people who log in to the admin area).", no_args_is_help=True)


@app.command("create")
def create(
    org: Annotated[str, typer.Option(help="The org's slug")],
    email: Annotated[str, typer.Option()],
    role: Annotated[AdminRole, typer.Option(case_sensitive=False)] = AdminRole.ADMIN,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create an admin. Without --password-stdin a password is generated and printed once."""
    password = read_stdin_line() if password_stdin else generate_password()

    async def work(session: AsyncSession) -> str:
        organization = await get_org(session, org)
        admin = await service.create_admin(
            session, organization, email=email, password=password, role=role, name=name
        )
        return admin.email

    created = run_in_session(work)
    typer.echo(f"created {role.value} {created} for {org}")
    if not password_stdin:
        typer.echo("password (shown once):")
        typer.echo(password)
