"""Log-in and log-out of the admin area (`/login/admin`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import pages
from greenroom.admin_area import service as admin_service
from greenroom.admin_area.deps import AdminDep, ProductionTenant, settings_of
from greenroom.core.db import SessionDep
from greenroom.templating import render
from greenroom.websessions import service as websessions

router = APIRouter(include_in_schema=False)
HOME = "/admin/api-settings"


@router.get("/login/admin")
async def login_form(request: Request, _tenant: ProductionTenant) -> Response:
    return render(request, "admin/login.html", {"email": "", "error": None})


@router.post("/login/admin")
async def login(
    request: Request,
    session: SessionDep,
    tenant: ProductionTenant,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    settings = settings_of(request)
    authenticator = request.app.state.authenticator
    client = pages.client_address(request)
    outcome = await admin_service.log_in(
        request.app.state.database.reader,
        tenant,
        email=email,
        password=password,
        client=client,
        throttle=authenticator.login_throttle,
        failures=authenticator.failed_logins,
    )
    if outcome.admin is None:
        page = render(
            request,
            "admin/login.html",
            {"email": email, "error": outcome.message},
            status_code=outcome.status,
        )
        page.headers.update(outcome.headers)
        return page
    # Only now does the request write (its session is read-write: a POST).
    await admin_service.logged_in(session, tenant, outcome.admin, client=client)
    token = await websessions.start(
        session,
        settings,
        tenant,
        kind="admin",
        subject_id=outcome.admin.id,
        previous_token=request.cookies.get(websessions.COOKIE_NAMES["admin"]),
    )
    response = RedirectResponse(HOME, status_code=303)
    websessions.set_cookie(response, settings, "admin", token)
    return response


@router.post("/admin/logout")
async def logout(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    settings = settings_of(request)
    await websessions.end(session, settings, ctx.token)
    response = RedirectResponse("/login/admin", status_code=303)
    websessions.clear_cookie(response, settings, "admin")
    return response


@router.get("/admin")
async def home(_ctx: AdminDep) -> Response:
    return RedirectResponse(HOME, status_code=303)
