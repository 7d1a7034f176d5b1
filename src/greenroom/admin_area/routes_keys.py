"""API Settings: the org's keys (both environments), create (shown once), roll, delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash
from greenroom.admin_area.deps import AdminDep, WriterDep, settings_of
from greenroom.admin_area.pages import client_address, page
from greenroom.core import clock
from greenroom.core.db import SessionDep
from greenroom.core.errors import Conflict, ValidationFailed
from greenroom.core.text import check_name
from greenroom.keys import service as keys
from greenroom.keys.scopes import Scope
from greenroom.tenancy.hosts import Environment

router = APIRouter(include_in_schema=False)
PATH = "/admin/api-settings"
# (hours, label): the grace periods offered when rolling a key (the service allows 0 to 7 days).
GRACE_CHOICES = (
    (0, "none: the old key stops now"),
    (1, "1 hour"),
    (24, "24 hours"),
    (72, "3 days"),
    (168, "7 days"),
)


async def _render(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    *,
    error: str | None = None,
    values: Mapping[str, object] | None = None,
    message: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    now = clock.now()
    rows = [k for k in await keys.list_keys(session, ctx.tenant.org_id) if keys.is_usable(k, now)]
    blank = {"name": "", "environment": ctx.view.value, "scopes": [s.value for s in Scope],
             "expires_on": ""}  # fmt: skip
    return page(
        request,
        ctx,
        "admin/api_settings.html",
        {
            "keys": rows,
            "flash": message,
            "values": values or blank,
            "error": error,
            "scopes": [s.value for s in Scope],
            "environments": [e.value for e in Environment],
            "rotation_recommended": keys.rotation_recommended,
            "graces": GRACE_CHOICES,
        },
        section="keys",
        status_code=status_code,
    )


@router.get(PATH)
async def api_settings(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    return await _render(request, session, ctx, message=await flash.take(request, ctx))


def _created(ctx: AdminDep, created: keys.CreatedKey, rolled: str | None = None) -> Response:
    """After a create or a roll: the key goes to the next page once (never into a page that a
    reload would post again)."""
    flash.put(
        ctx, "key_created", secret=created.secret, name=created.key.name,
        environment=created.key.environment, rolled=rolled,
    )  # fmt: skip
    return RedirectResponse(PATH, status_code=303)


def _expiry(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed("The expiry is a date (YYYY-MM-DD).") from None
    # A key "expiring on" a date works through that whole day (UTC).
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=1)


@router.post(PATH)
async def create_key(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    name: Annotated[str, Form(max_length=200)] = "",
    environment: Annotated[str, Form()] = "production",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_on: Annotated[str, Form()] = "",
) -> Response:
    settings = settings_of(request)
    values = {"name": name, "environment": environment, "scopes": scopes or [],
              "expires_on": expires_on}  # fmt: skip
    try:
        check_name(name, "name", "key name")
        env = Environment(environment)
        chosen = frozenset(Scope(s) for s in scopes or [])
        created = await keys.create_key(
            session,
            org_id=ctx.tenant.org_id,
            environment=env,
            name=name,
            scopes=chosen,
            created_by=ctx.actor,
            created_by_admin_id=ctx.admin.id,
            server_secret=settings.server_secrets[0],
            expires_at=_expiry(expires_on),
            client_address=client_address(request),
        )
    except ValueError:
        return await _render(
            request, session, ctx, error="Unknown environment or scope.", values=values,
            status_code=422,
        )  # fmt: skip
    except ValidationFailed as exc:
        return await _render(
            request, session, ctx, error=exc.detail, values=values, status_code=422
        )
    return _created(ctx, created)


@router.post(PATH + "/{key_id}/roll")
async def roll_key(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    key_id: uuid.UUID,
    grace_hours: Annotated[int, Form(ge=0, le=168)] = 24,
) -> Response:
    try:
        created = await keys.roll_key(
            session,
            ctx.tenant.org_id,
            key_id,
            server_secret=settings_of(request).server_secrets[0],
            created_by=ctx.actor,
            grace=timedelta(hours=grace_hours),
            created_by_admin_id=ctx.admin.id,
            client_address=client_address(request),
        )
    except (ValidationFailed, Conflict) as exc:
        return await _render(request, session, ctx, error=exc.detail, status_code=exc.status)
    old = await keys.get_key(session, ctx.tenant.org_id, key_id)
    return _created(ctx, created, rolled=old.last4)


@router.post(PATH + "/{key_id}/delete")
async def delete_key(
    request: Request, session: SessionDep, ctx: WriterDep, key_id: uuid.UUID
) -> Response:
    key = await keys.get_key(session, ctx.tenant.org_id, key_id)
    await keys.revoke_key(
        session,
        ctx.tenant.org_id,
        key_id,
        actor=f"admin:{ctx.actor}",
        admin_id=ctx.admin.id,
        client_address=client_address(request),
    )
    flash.put(
        ctx, "notice",
        text=f'Key "{key.name}" (ending in {key.last4}) is deleted: requests with it now fail.',
    )  # fmt: skip
    return RedirectResponse(PATH, status_code=303)
