"""The sandbox toggle: which environment's data the admin pages show."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import RedirectResponse, Response

from greenroom.admin.deps import VIEW_KEY, AdminDep
from greenroom.tenancy.hosts import Environment

router = APIRouter(include_in_schema=False)


@router.post("/admin/view")
async def switch_view(
    ctx: AdminDep,
    view: Annotated[str, Form()] = "production",
    next: Annotated[str, Form()] = "/admin/api-settings",
) -> Response:
    chosen = Environment.SANDBOX if view == Environment.SANDBOX.value else Environment.PRODUCTION
    # A new dict, so that SQLAlchemy sees the JSON column change.
    ctx.web_session.data = {**(ctx.web_session.data or {}), VIEW_KEY: chosen.value}
    # Only our own pages: a path under /admin/, never another host.
    target = (
        next if next.startswith("/admin/") and "//" not in next and "\\" not in next else "/admin"
    )
    return RedirectResponse(target, status_code=303)
