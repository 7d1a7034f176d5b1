"""Admins: list, add (with a one-time password shown once), change role, reset a password,
remove."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash, service
from greenroom.admin_area.deps import AdminDep, WriterDep
from greenroom.admin_area.pages import client_address, page
from greenroom.admins.models import AdminRole
from greenroom.core.db import SessionDep
from greenroom.core.errors import Conflict, ValidationFailed

router = APIRouter(include_in_schema=False)
PATH = "/admin/admins"
ROLES = {
    AdminRole.ADMIN.value: "admin: everything",
    AdminRole.VIEWER.value: "viewer: sees everything, changes nothing",
    AdminRole.COACH.value: "coach: users, recordings and comments only",
}


async def _render(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    message: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        ctx,
        "admin/admins.html",
        {
            "admins": await service.list_admins(session, ctx.tenant),
            "roles": ROLES,
            "error": error,
            "values": values or {"email": "", "name": "", "role": AdminRole.ADMIN.value},
            "flash": message,
        },
        section="admins",
        status_code=status_code,
    )


@router.get(PATH)
async def admins_page(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    return await _render(request, session, ctx, message=await flash.take(request, ctx))


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
        values = {"email": email, "name": name, "role": role}
        return await _render(
            request, session, ctx, error=exc.detail, values=values, status_code=exc.status
        )
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_ADDED, client=client_address(request),
        details={"email": admin.email, "role": admin.role},
    )  # fmt: skip
    flash.put(ctx, "password", heading=f"{admin.email} can now log in", password=password)
    return RedirectResponse(PATH, status_code=303)


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
    flash.put(ctx, "notice", text=f"{changed.email} is now {changed.role}.")
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/{admin_id}/password")
async def reset_password(
    request: Request, session: SessionDep, ctx: WriterDep, admin_id: uuid.UUID
) -> Response:
    try:
        target, password = await service.reset_password(session, ctx.tenant, admin_id, by=ctx.admin)
    except Conflict as exc:
        return await _render(request, session, ctx, error=exc.detail, status_code=exc.status)
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_PASSWORD_RESET,
        client=client_address(request), details={"email": target.email},
    )  # fmt: skip
    flash.put(
        ctx, "password", heading=f"New one-time password for {target.email}", password=password
    )
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
    flash.put(ctx, "notice", text=f"{removed.email} was removed; their sessions have ended.")
    return RedirectResponse(PATH, status_code=303)
