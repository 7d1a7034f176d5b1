"""Webhooks: the endpoints of the environment in view, their delivery log, and resend; the
environment's verification key (Big Interview format), shown once when made, and its rotation.

Everything goes through `webhooks.service`, exactly as `/api/webhooks` does.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area.deps import AdminDep, WriterDep, settings_of
from greenroom.admin_area.pages import page
from greenroom.core import events
from greenroom.core.db import SessionDep
from greenroom.core.errors import Conflict, ValidationFailed
from greenroom.webhooks import service as webhooks

router = APIRouter(include_in_schema=False)
PATH = "/admin/webhooks"
FORMAT_LABELS = {"standard": "Standard Webhooks", "biginterview": "Big Interview"}


async def _render(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    *,
    created: webhooks.CreatedEndpoint | None = None,
    new_verification_key: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    endpoints, _next = await webhooks.list_endpoints(session, ctx.view_tenant, limit=200)
    if created is not None and created.verification_key is not None:
        new_verification_key = created.verification_key
    return page(
        request,
        ctx,
        "admin/webhooks.html",
        {
            "endpoints": endpoints,
            "created": created,
            "error": error,
            "event_types": events.EVENT_TYPES,
            "formats": FORMAT_LABELS,
            "verification_key": await webhooks.verification_key_info(session, ctx.view_tenant),
            "new_verification_key": new_verification_key,
        },
        section="webhooks",
        status_code=status_code,
    )


@router.get(PATH)
async def webhooks_page(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    return await _render(request, session, ctx)


@router.post(PATH)
async def create_endpoint(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    url: Annotated[str, Form(max_length=2048)] = "",
    description: Annotated[str, Form(max_length=1000)] = "",
    events_chosen: Annotated[list[str] | None, Form(alias="events")] = None,
    format: Annotated[str, Form(max_length=16)] = "standard",
) -> Response:
    try:
        created = await webhooks.create_endpoint(
            session,
            ctx.view_tenant,
            settings=settings_of(request),
            url=url,
            events=events_chosen or [webhooks.ALL_EVENTS],
            description=description or None,
            format=format,
        )
    except ValidationFailed as exc:
        detail = exc.errors[0]["message"] if exc.errors else exc.detail
        return await _render(request, session, ctx, error=detail, status_code=422)
    return await _render(request, session, ctx, created=created, status_code=201)


@router.post(PATH + "/verification-key/rotate")
async def rotate_verification_key(
    request: Request, session: SessionDep, ctx: WriterDep
) -> Response:
    key = await webhooks.rotate_verification_key(
        session, ctx.view_tenant, settings=settings_of(request)
    )
    return await _render(request, session, ctx, new_verification_key=key)


@router.post(PATH + "/{endpoint_id}/enabled")
async def set_enabled(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    endpoint_id: uuid.UUID,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    await webhooks.update_endpoint(
        session, ctx.view_tenant, endpoint_id, settings=settings_of(request),
        enabled=enabled == "yes",
    )  # fmt: skip
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{endpoint_id}/delete")
async def delete_endpoint(session: SessionDep, ctx: WriterDep, endpoint_id: uuid.UUID) -> Response:
    await webhooks.delete_endpoint(session, ctx.view_tenant, endpoint_id)
    return RedirectResponse(PATH, status_code=303)


@router.get(PATH + "/{endpoint_id}")
async def deliveries_page(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    endpoint_id: uuid.UUID,
) -> Response:
    endpoint = await webhooks.get_endpoint(session, ctx.view_tenant, endpoint_id)
    deliveries, _next = await webhooks.list_deliveries(
        session, ctx.view_tenant, endpoint_id, limit=100
    )
    return page(
        request,
        ctx,
        "admin/webhook.html",
        {
            "endpoint": endpoint,
            "deliveries": deliveries,
            "disabled": webhooks.disabled_state(endpoint),
        },
        section="webhooks",
    )


@router.post(PATH + "/{endpoint_id}/deliveries/{delivery_id}/resend")
async def resend(
    session: SessionDep, ctx: WriterDep, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Response:
    try:
        await webhooks.resend(session, ctx.view_tenant, endpoint_id, delivery_id)
    except Conflict:
        pass  # a disabled endpoint: the page says so and offers no resend
    return RedirectResponse(f"{PATH}/{endpoint_id}", status_code=303)
