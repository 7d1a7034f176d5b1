"""API Settings: the org's keys (both environments), create (shown once), roll, delete."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from greenroom.admin import keys_view
from greenroom.admin.deps import AdminDep, WriterDep, settings_of
from greenroom.admin.pages import page
from greenroom.auth.scopes import Scope
from greenroom.core.db import SessionDep
from greenroom.core.errors import ValidationFailed
from greenroom.keys import service as keys
from greenroom.tenancy.hosts import Environment

router = APIRouter(include_in_schema=False)
PATH = "/admin/api-settings"


async def _render(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    *,
    created: keys.CreatedKey | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = await keys_view.list_keys(session, ctx.tenant)
    return page(
        request,
        ctx,
        "admin/api_settings.html",
        {
            "keys": rows,
            "created": created,
            "error": error,
            "scopes": [s.value for s in Scope],
            "environments": [e.value for e in Environment],
            "now": keys_view.now(),
            "rotate_after": keys.ROTATION_RECOMMENDED_AFTER,
        },
        section="keys",
        status_code=status_code,
    )


@router.get(PATH)
async def api_settings(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    return await _render(request, session, ctx)


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
    try:
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
        )
    except ValueError:
        return await _render(
            request, session, ctx, error="Unknown environment or scope.", status_code=422
        )
    except ValidationFailed as exc:
        return await _render(request, session, ctx, error=exc.detail, status_code=422)
    return await _render(request, session, ctx, created=created, status_code=201)
