"""Admins: list, add (with a one-time password shown once), change role, remove."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import service
from greenroom.admin_area.deps import AdminDep, WriterDep
from greenroom.admin_area.pages import client_address, page
from greenroom.admins.models import AdminRole
from greenroom.core.db import SessionDep
from greenroom.core.errors import Conflict, ValidationFailed

router = APIRouter(include_in_schema=False)
PATH = "/admin/admins"


async def _render(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    *,
    added: tuple[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        ctx,
        "admin/admins.html",
        {
            "admins": await service.list_admins(session, ctx.tenant),
            "roles": [r.value for r in AdminRole],
            "added": added,
            "error": error,
        },
        section="admins",
        status_code=status_code,
    )


@router.get(PATH)
async def admins_page(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    return await _render(request, session, ctx)


@router.post(PATH)
async def add_admin(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form()] = AdminRole.ADMIN.value,
) -> Response:
    try:
        admin, password = await service.add_admin(
            session, ctx.tenant, email=email, name=name, role=role
        )
    except (ValidationFailed, Conflict) as exc:
        return await _render(request, session, ctx, error=exc.detail, status_code=exc.status)
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_ADDED, client=client_address(request),
        details={"email": admin.email, "role": admin.role},
    )  # fmt: skip
    return await _render(request, session, ctx, added=(admin.email, password), status_code=201)


@router.post(PATH + "/{admin_id}/role")
async def change_role(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    admin_id: uuid.UUID,
    role: Annotated[str, Form()] = "",
) -> Response:
    try:
        changed = await service.change_role(session, ctx.tenant, admin_id, role)
    except (ValidationFailed, Conflict) as exc:
        return await _render(request, session, ctx, error=exc.detail, status_code=exc.status)
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_ROLE_CHANGED,
        client=client_address(request), details={"email": changed.email, "role": changed.role},
    )  # fmt: skip
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{admin_id}/delete")
async def remove_admin(
    request: Request, session: SessionDep, ctx: WriterDep, admin_id: uuid.UUID
) -> Response:
    try:
        removed = await service.remove_admin(session, ctx.tenant, admin_id)
    except Conflict as exc:
        return await _render(request, session, ctx, error=exc.detail, status_code=exc.status)
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_REMOVED, client=client_address(request),
        details={"email": removed.email},
    )  # fmt: skip
    if removed.id == ctx.admin.id:  # removed themselves: their session is gone too
        return RedirectResponse("/login/admin", status_code=303)
    return RedirectResponse(PATH, status_code=303)
