"""The org's root (`/`): somewhere useful for whoever arrives there, and the favicon."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from greenroom.templating import render
from greenroom.tenancy.context import TenantDep
from greenroom.websessions.service import COOKIE_NAMES

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, tenant: TenantDep) -> Response:
    """A signed-in student goes to their dashboard, a signed-in admin to the admin area (each
    page checks the session itself); anyone else gets a page saying where to go."""
    if request.cookies.get(COOKIE_NAMES["member"]):
        return RedirectResponse("/members/dashboard", status_code=303)
    if request.cookies.get(COOKIE_NAMES["admin"]) and not tenant.is_sandbox:
        return RedirectResponse("/admin", status_code=303)
    settings = request.app.state.settings
    return render(
        request,
        "home.html",
        {
            "org": tenant.org,
            "sandbox": tenant.is_sandbox,
            "admin_login": settings.org_origin(tenant.org.slug) + "/login/admin",
        },
    )


@router.get("/favicon.ico")
async def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)
