from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.cli.common import fail, run_in_session
from greenroom.core.errors import ValidationFailed
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

    async def work(session: AsyncSession) -> list[tuple[str, str, bool, str]]:
        return [
            (
                o.slug,
                o.name,
                o.anonymous_users_enabled,
                service.Retention.of(o).describe().replace(" ", "_"),
            )
            for o in await service.list_orgs(session)
        ]

    rows = run_in_session(work)
    if not rows:
        typer.echo("no organizations")
    for slug, name, anonymous, retention in rows:
        typer.echo(
            f"{slug}\t{name}\tanonymous_users={'on' if anonymous else 'off'}"
            f"\trecording_retention={retention}"
        )


@app.command("show")
def show(slug: str) -> None:
    """Show an organization's settings, one per line."""

    async def work(session: AsyncSession) -> list[tuple[str, object]]:
        org = await service.get_org(session, slug)
        return [
            ("slug", org.slug),
            ("name", org.name),
            ("anonymous_users", "on" if org.anonymous_users_enabled else "off"),
            ("sso_return_url", org.sso_return_url or "-"),
            ("sso_allowed_return_origins", " ".join(org.sso_allowed_return_origins) or "-"),
            ("sso_token_ttl_seconds", org.sso_token_ttl_seconds),
            ("rate_limit_per_minute", org.rate_limit_per_minute or "default"),
            ("key_rate_limit_per_minute", org.key_rate_limit_per_minute or "default"),
            ("anonymous_daily_cap", org.anonymous_daily_cap or "default"),
            ("recording_retention_days", org.recording_retention_days or "off"),
            (
                "retention_includes_transcripts",
                "on" if org.retention_includes_transcripts else "off",
            ),
        ]

    for name, value in run_in_session(work):
        typer.echo(f"{name}\t{value}")


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
    recording_retention_days: Annotated[
        str | None,
        typer.Option(
            metavar="DAYS|off",
            help="Remove students' recordings this many days after they were made "
            f"(1 to {service.MAX_RETENTION_DAYS}), or off to keep them (the default). Audited.",
        ),
    ] = None,
    retention_includes_transcripts: Annotated[
        bool | None,
        typer.Option(
            "--retention-includes-transcripts/--no-retention-includes-transcripts",
            help="Whether retention removes the transcripts too (the feedback figures stay).",
        ),
    ] = None,
) -> None:
    """Change an organization's settings."""
    anonymous = _on_off(anonymous_users, "--anonymous-users")
    days: int | None = None
    if recording_retention_days is not None:
        try:
            days = service.parse_retention_days(recording_retention_days)
        except ValidationFailed:
            fail(
                f"--recording-retention-days takes {service.RETENTION_PROBLEM}, "
                f"not {recording_retention_days!r}"
            )

    async def work(session: AsyncSession) -> None:
        org = await service.update_org(
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
        if recording_retention_days is not None or retention_includes_transcripts is not None:
            current = service.Retention.of(org)
            await service.set_retention(
                session,
                org,
                service.Retention(
                    days if recording_retention_days is not None else current.days,
                    current.includes_transcripts
                    if retention_includes_transcripts is None
                    else retention_includes_transcripts,
                ),
                actor="cli",
            )

    run_in_session(work)
    typer.echo(f"updated organization {slug}")
