"""The sandbox: the toggle that picks which environment's data the pages show, and the reset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash, service
from greenroom.admin_area.deps import VIEW_KEY, AdminDep, StaffDep, WriterDep
from greenroom.admin_area.pages import client_address, page, safe_next
from greenroom.core.db import SessionDep
from greenroom.tenancy.hosts import Environment

router = APIRouter(include_in_schema=False)


@router.post("/admin/view")
async def switch_view(
    ctx: StaffDep,
    view: Annotated[str, Form()] = "production",
    next: Annotated[str, Form()] = "/admin",
) -> Response:
    chosen = Environment.SANDBOX if view == Environment.SANDBOX.value else Environment.PRODUCTION
    # A new dict, so that SQLAlchemy sees the JSON column change.
    ctx.web_session.data = {**(ctx.web_session.data or {}), VIEW_KEY: chosen.value}
    # Only our own pages: a path under /admin, never another host.
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/admin/sandbox")
async def sandbox_page(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    count = await service.count_users(session, ctx.tenant, Environment.SANDBOX)
    context = {"count": count, "flash": await flash.take(request, ctx)}
    return page(request, ctx, "admin/sandbox.html", context, section="users")


@router.post("/admin/sandbox/reset")
async def reset_sandbox(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    if confirm != "yes":
        count = await service.count_users(session, ctx.tenant, Environment.SANDBOX)
        return page(
            request,
            ctx,
            "admin/sandbox.html",
            {"count": count, "error": "Tick the box to confirm."},
            section="users",
            status_code=422,
        )
    # End the request's transaction first: the reset writes in small transactions of its own
    # (on SQLite the request's would otherwise hold the process's one write connection).
    await session.commit()
    deleted = await service.reset_sandbox(request.app.state.sessionmaker, ctx.tenant)
    await service.record(
        session, ctx.tenant, ctx.admin, service.SANDBOX_RESET, client=client_address(request),
        environment="sandbox", details={"users_deleted": str(deleted)},
    )  # fmt: skip
    flash.put(
        ctx, "notice",
        text=f"Sandbox reset: {deleted} user{'' if deleted == 1 else 's'} deleted with their data.",
    )  # fmt: skip
    return RedirectResponse("/admin/sandbox", status_code=303)
