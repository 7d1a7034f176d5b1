"""Webhooks: the endpoints of the environment in view, their delivery log, and resend; the
environment's verification key (Big Interview format), shown once when made, and its rotation.

Everything goes through `webhooks.service`, exactly as `/api/webhooks` does; what an admin
changes here is also in the audit log (`webhook.*`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash, service
from greenroom.admin_area.deps import AdminDep, WriterDep, settings_of
from greenroom.admin_area.pages import client_address, page
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
    error: str | None = None,
    values: Mapping[str, object] | None = None,
    message: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    endpoints, _next = await webhooks.list_endpoints(session, ctx.view_tenant, limit=200)
    return page(
        request,
        ctx,
        "admin/webhooks.html",
        {
            "endpoints": endpoints,
            "flash": message,
            "error": error,
            "values": values or {"url": "", "description": "", "events": [], "format": "standard"},
            "event_types": events.EVENT_TYPES,
            "formats": FORMAT_LABELS,
            "verification_key": await webhooks.verification_key_info(session, ctx.view_tenant),
        },
        section="webhooks",
        status_code=status_code,
    )


@router.get(PATH)
async def webhooks_page(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    return await _render(request, session, ctx, message=await flash.take(request, ctx))


async def _audit(
    request: Request, session: SessionDep, ctx: AdminDep, event: str, **details: object
) -> None:
    await service.record(
        session, ctx.tenant, ctx.admin, event, client=client_address(request),
        environment=ctx.view.value, details={k: str(v) for k, v in details.items()},
    )  # fmt: skip


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
        values = {
            "url": url, "description": description, "events": events_chosen or [],
            "format": format,
        }  # fmt: skip
        return await _render(request, session, ctx, error=detail, values=values, status_code=422)
    await _audit(request, session, ctx, service.WEBHOOK_CREATED, url=url, id=created.endpoint.id)
    flash.put(
        ctx, "webhook_created", secret=created.secret, url=url,
        verification_key=created.verification_key,
    )  # fmt: skip
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/verification-key/rotate")
async def rotate_verification_key(
    request: Request, session: SessionDep, ctx: WriterDep
) -> Response:
    key = await webhooks.rotate_verification_key(
        session, ctx.view_tenant, settings=settings_of(request)
    )
    await _audit(request, session, ctx, service.WEBHOOK_KEY_ROTATED, last4=key[-4:])
    flash.put(ctx, "verification_key", key=key)
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{endpoint_id}/enabled")
async def set_enabled(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    endpoint_id: uuid.UUID,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    updated = await webhooks.update_endpoint(
        session, ctx.view_tenant, endpoint_id, settings=settings_of(request),
        enabled=enabled == "yes",
    )  # fmt: skip
    endpoint = updated.endpoint
    event = service.WEBHOOK_ENABLED if enabled == "yes" else service.WEBHOOK_DISABLED
    await _audit(request, session, ctx, event, url=endpoint.url, id=endpoint_id)
    state = "receives events again" if enabled == "yes" else "is disabled"
    flash.put(ctx, "notice", text=f"{endpoint.url} {state}.")
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{endpoint_id}/delete")
async def delete_endpoint(
    request: Request, session: SessionDep, ctx: WriterDep, endpoint_id: uuid.UUID
) -> Response:
    endpoint = await webhooks.get_endpoint(session, ctx.view_tenant, endpoint_id)
    url = endpoint.url
    await webhooks.delete_endpoint(session, ctx.view_tenant, endpoint_id)
    await _audit(request, session, ctx, service.WEBHOOK_DELETED, url=url, id=endpoint_id)
    flash.put(ctx, "notice", text=f"The endpoint {url} and its delivery log are deleted.")
    return RedirectResponse(PATH, status_code=303)


@router.get(PATH + "/{endpoint_id}")
async def deliveries_page(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    endpoint_id: uuid.UUID,
) -> Response:
    endpoint = await webhooks.get_endpoint(session, ctx.view_tenant, endpoint_id)
    message = await flash.take(request, ctx)
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
            "flash": message,
        },
        section="webhooks",
    )


@router.post(PATH + "/{endpoint_id}/deliveries/{delivery_id}/resend")
async def resend(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
) -> Response:
    try:
        await webhooks.resend(session, ctx.view_tenant, endpoint_id, delivery_id)
    except Conflict:
        pass  # a disabled endpoint: the page says so and offers no resend
    else:
        await _audit(
            request, session, ctx, service.WEBHOOK_RESENT, endpoint=endpoint_id,
            delivery=delivery_id,
        )  # fmt: skip
        flash.put(ctx, "notice", text="The delivery is queued again.")
    return RedirectResponse(f"{PATH}/{endpoint_id}", status_code=303)
