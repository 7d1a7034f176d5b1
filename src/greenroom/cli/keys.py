from __future__ import annotations

import uuid
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.cli.common import fail, run_in_session, settings
from greenroom.core import clock
from greenroom.keys import service
from greenroom.keys.scopes import parse_scopes
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.service import get_org

app = typer.Typer(help="Org API keys.", no_args_is_help=True)


class EnvChoice(StrEnum):
    production = "production"
    sandbox = "sandbox"


@app.command("create")
def create(
    org: Annotated[str, typer.Option(help="The org's slug")],
    env: Annotated[EnvChoice, typer.Option(help="production or sandbox")] = EnvChoice.production,
    name: Annotated[str, typer.Option(help="A name to recognise the key by")] = "CLI key",
    scope: Annotated[
        list[str] | None, typer.Option(help="A scope (repeatable); all scopes when omitted")
    ] = None,
    expires_in: Annotated[
        int | None, typer.Option(min=1, help="Days until the key expires (never by default)")
    ] = None,
) -> None:
    """Create a key. The key is printed once, alone on the last line; it cannot be shown again."""
    try:
        scopes = parse_scopes(scope)
    except ValueError as exc:
        fail(str(exc))
    secret = settings().server_secrets[0]

    async def work(session: AsyncSession) -> tuple[str, str, str]:
        organization = await get_org(session, org)
        created = await service.create_key(
            session,
            org_id=organization.id,
            environment=Environment(env.value),
            name=name,
            scopes=scopes,
            created_by="cli",
            server_secret=secret,
            expires_at=clock.now() + timedelta(days=expires_in) if expires_in else None,
        )
        return str(created.key.id), created.key.environment, created.secret

    key_id, environment, full_key = run_in_session(work)
    typer.echo(f"created {environment} key {key_id} for {org} (shown once):", err=True)
    typer.echo(full_key)


@app.command("list")
def list_(org: Annotated[str, typer.Option(help="The org's slug")]) -> None:
    """List an org's keys (never the keys themselves: their last 4 characters)."""

    async def work(session: AsyncSession) -> list[str]:
        organization = await get_org(session, org)
        now = clock.now()
        lines = []
        for key in await service.list_keys(session, organization.id):
            if key.revoked_at is not None:
                state = "revoked"
            elif not service.is_usable(key, now):
                state = "expired"
            elif key.replaced_by_id is not None:
                state = f"rolled (works until {key.expires_at:%Y-%m-%dT%H:%MZ})"
            else:
                state = "active"
            if service.rotation_recommended(key, now):
                state += ", rotation recommended"
            lines.append(
                "\t".join(
                    [
                        str(key.id),
                        key.environment,
                        f"...{key.last4}",
                        key.name,
                        ",".join(key.scopes),
                        f"created {key.created_at:%Y-%m-%d} by {key.created_by}",
                        f"last used {key.last_used_at:%Y-%m-%dT%H:%MZ}"
                        if key.last_used_at
                        else "never used",
                        state,
                        f"secret {key.secret_version}",
                    ]
                )
            )
        return lines

    lines = run_in_session(work)
    typer.echo("\n".join(lines) if lines else "no keys")


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, from `greenroom key list`")],
    org: Annotated[str, typer.Option(help="The org's slug")],
) -> None:
    """Revoke a key at once (processes that cached it refuse it within seconds)."""
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        fail(f"{key_id!r} is not a key id (see `greenroom key list --org {org}`)")

    async def work(session: AsyncSession) -> None:
        organization = await get_org(session, org)
        await service.revoke_key(session, organization.id, parsed, actor="cli")

    run_in_session(work)
    typer.echo(f"revoked key {parsed}")


@app.command("roll")
def roll(
    key_id: Annotated[str, typer.Argument(help="The key's id")],
    org: Annotated[str, typer.Option(help="The org's slug")],
    grace_hours: Annotated[
        int, typer.Option(min=0, max=168, help="Hours the old key keeps working (0 to 168)")
    ] = 24,
) -> None:
    """Replace a key by a new one with the same name, environment and scopes."""
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        fail(f"{key_id!r} is not a key id")
    secret = settings().server_secrets[0]

    async def work(session: AsyncSession) -> tuple[str, str]:
        organization = await get_org(session, org)
        created = await service.roll_key(
            session,
            organization.id,
            parsed,
            server_secret=secret,
            created_by="cli",
            grace=timedelta(hours=grace_hours),
        )
        return str(created.key.id), created.secret

    new_id, full_key = run_in_session(work)
    typer.echo(f"new key {new_id}; the old one works for {grace_hours} h (shown once):", err=True)
    typer.echo(full_key)
