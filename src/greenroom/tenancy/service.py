"""Organizations: created and configured by the operator (CLI), read on every request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.audit import service as audit
from greenroom.core.errors import Conflict, NotFound, ValidationFailed
from greenroom.tenancy import repository
from greenroom.tenancy.hosts import slug_problem
from greenroom.tenancy.models import Organization


class OrgNotFound(NotFound):
    code = "org_not_found"
    default_detail = "No such organization."


async def create_org(session: AsyncSession, *, slug: str, name: str) -> Organization:
    problem = slug_problem(slug)
    if problem:
        raise ValidationFailed(
            f"Invalid slug {slug!r}: {problem}.", errors=[{"field": "slug", "message": problem}]
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "The name must be 1 to 200 characters.",
            errors=[{"field": "name", "message": "1 to 200 characters"}],
        )
    if await repository.get_by_slug(session, slug) is not None:
        raise Conflict(f"An organization with slug {slug!r} already exists.", code="org_exists")
    org = Organization(slug=slug, name=name)
    session.add(org)
    try:
        await session.flush()
    except IntegrityError as exc:  # lost a race with another creator
        raise Conflict(
            f"An organization with slug {slug!r} already exists.", code="org_exists"
        ) from exc
    return org


async def get_org(session: AsyncSession, slug: str) -> Organization:
    org = await repository.get_by_slug(session, slug)
    if org is None:
        raise OrgNotFound(f"No organization with slug {slug!r}.")
    return org


async def list_orgs(session: AsyncSession) -> Sequence[Organization]:
    return await repository.list_all(session)


def check_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 2048:
        raise ValidationFailed(
            f"{field} must be an absolute http(s) URL.",
            errors=[{"field": field, "message": "an absolute http(s) URL"}],
        )
    return value


async def update_org(
    session: AsyncSession,
    slug: str,
    *,
    anonymous_users_enabled: bool | None = None,
    sso_return_url: str | None = None,
    sso_allowed_return_origins: list[str] | None = None,
    sso_token_ttl_seconds: int | None = None,
    rate_limit_per_minute: int | None = None,
    key_rate_limit_per_minute: int | None = None,
    anonymous_daily_cap: int | None = None,
) -> Organization:
    org = await get_org(session, slug)
    if anonymous_users_enabled is not None:
        org.anonymous_users_enabled = anonymous_users_enabled
    if sso_return_url is not None:
        org.sso_return_url = check_url(sso_return_url, "sso_return_url") if sso_return_url else None
    if sso_allowed_return_origins is not None:
        origins = []
        for origin in sso_allowed_return_origins:
            parts = urlsplit(check_url(origin, "sso_allowed_return_origins"))
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
        org.sso_allowed_return_origins = origins
    if sso_token_ttl_seconds is not None:
        if not 60 <= sso_token_ttl_seconds <= 48 * 3600:
            raise ValidationFailed("The sign-in token lifetime is 60 seconds to 48 hours.")
        org.sso_token_ttl_seconds = sso_token_ttl_seconds
    for field, value in (
        ("rate_limit_per_minute", rate_limit_per_minute),
        ("key_rate_limit_per_minute", key_rate_limit_per_minute),
        ("anonymous_daily_cap", anonymous_daily_cap),
    ):
        if value is not None:
            if value < 0:
                raise ValidationFailed(f"{field} must be 0 or more (0 resets to the default).")
            setattr(org, field, value or None)
    await session.flush()
    return org


# --- retention of recordings (the sweep: practice/retention.py) --------------------------------

RETENTION_CHANGED = "org.retention_changed"
MAX_RETENTION_DAYS = 3650  # ten years: above that, "off" says what is meant
RETENTION_PROBLEM = f"a whole number of days from 1 to {MAX_RETENTION_DAYS}, or off"


@dataclass(frozen=True, slots=True)
class Retention:
    """An org's retention of recordings: `days` None keeps them."""

    days: int | None
    includes_transcripts: bool

    @classmethod
    def of(cls, org: Organization) -> Retention:
        return cls(org.recording_retention_days, org.retention_includes_transcripts)

    def describe(self) -> str:
        if self.days is None:
            return "off"
        plural = "" if self.days == 1 else "s"
        with_transcripts = " with transcripts" if self.includes_transcripts else ""
        return f"{self.days} day{plural}{with_transcripts}"


def _refused(value: object) -> ValidationFailed:
    return ValidationFailed(
        f"Recording retention must be {RETENTION_PROBLEM} (not {value!r}).",
        errors=[{"field": "recording_retention_days", "message": RETENTION_PROBLEM}],
    )


def parse_retention_days(value: str) -> int | None:
    """Days as typed in a form or on the command line: "off" (or empty) is None, else a whole
    number from 1 to MAX_RETENTION_DAYS; anything else is a `ValidationFailed`."""
    text = value.strip().lower()
    if text in ("", "off"):
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise _refused(value)
    return check_retention_days(int(text))


def check_retention_days(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise _refused(days)
    return days


async def set_retention(
    session: AsyncSession,
    org: Organization,
    wanted: Retention,
    *,
    actor: str,
    admin_id: uuid.UUID | None = None,
    client_address: str | None = None,
) -> bool:
    """Change the org's retention of recordings, audited (`org.retention_changed`, with the
    setting before and after); False, recording nothing, when it is already so. The sweep
    applies it at its next round."""
    check_retention_days(wanted.days)
    before = Retention.of(org)
    if wanted == before:
        return False
    org.recording_retention_days = wanted.days
    org.retention_includes_transcripts = wanted.includes_transcripts
    await session.flush()
    await audit.record(
        session,
        org_id=org.id,
        environment=None,
        event=RETENTION_CHANGED,
        actor=actor,
        admin_id=admin_id,
        client_address=client_address,
        details={
            "recording_retention_days": wanted.days,
            "retention_includes_transcripts": wanted.includes_transcripts,
            "before": {
                "recording_retention_days": before.days,
                "retention_includes_transcripts": before.includes_transcripts,
            },
        },
    )
    return True
