from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.cli.common import fail, run_in_session
from greenroom.tenancy import service

app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)

OnOff = Annotated[str | None, typer.Option(help="on or off")]


def _on_off(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("on", "off"):
        fail(f"{name} takes 'on' or 'off', not {value!r}")
    return value.lower() == "on"


@app.command("create")
def create(slug: str, name: Annotated[str, typer.Option(help="Display name")]) -> None:
    """Create an organization; SLUG becomes its subdomain."""

    async def work(session: AsyncSession) -> str:
        org = await service.create_org(session, slug=slug, name=name)
        return org.slug

    created = run_in_session(work)
    typer.echo(f"created organization {created}")


@app.command("list")
def list_() -> None:
    """List organizations."""

    async def work(session: AsyncSession) -> list[tuple[str, str, bool]]:
        return [
            (o.slug, o.name, o.anonymous_users_enabled) for o in await service.list_orgs(session)
        ]

    rows = run_in_session(work)
    if not rows:
        typer.echo("no organizations")
    for slug, name, anonymous in rows:
        typer.echo(f"{slug}\t{name}\tanonymous_users={'on' if anonymous else 'off'}")


@app.command("set")
def set_(
    slug: str,
    anonymous_users: OnOff = None,
    sso_return_url: Annotated[str | None, typer.Option(help="Where users go after log-out")] = None,
    allow_return_origin: Annotated[
        list[str] | None, typer.Option(help="An origin allowed as SSO return_url (repeatable)")
    ] = None,
    sso_token_ttl: Annotated[
        int | None, typer.Option(help="Sign-in token lifetime, seconds")
    ] = None,
    rate_limit: Annotated[
        int | None, typer.Option(help="Org requests per minute (0: default)")
    ] = None,
    key_rate_limit: Annotated[int | None, typer.Option(help="Per-key requests per minute")] = None,
    anonymous_daily_cap: Annotated[int | None, typer.Option(help="Anonymous users per day")] = None,
) -> None:
    """Change an organization's settings."""
    anonymous = _on_off(anonymous_users, "--anonymous-users")

    async def work(session: AsyncSession) -> None:
        await service.update_org(
            session,
            slug,
            anonymous_users_enabled=anonymous,
            sso_return_url=sso_return_url,
            sso_allowed_return_origins=allow_return_origin,
            sso_token_ttl_seconds=sso_token_ttl,
            rate_limit_per_minute=rate_limit,
            key_rate_limit_per_minute=key_rate_limit,
            anonymous_daily_cap=anonymous_daily_cap,
        )

    run_in_session(work)
    typer.echo(f"updated organization {slug}")
