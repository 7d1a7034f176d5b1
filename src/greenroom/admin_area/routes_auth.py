"""Log-in and log-out of the admin area (`/login/admin`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from greenroom.admin_area import pages
from greenroom.admin_area import service as admin_service
from greenroom.admin_area.deps import PASSWORD_PATH, ProductionTenant, StaffDep, settings_of
from greenroom.core.db import SessionDep
from greenroom.templating import render
from greenroom.tenancy.context import Tenant
from greenroom.websessions import service as websessions

router = APIRouter(include_in_schema=False)
HOME = "/admin"


def _form(
    request: Request,
    tenant: Tenant,
    *,
    email: str = "",
    error: str | None = None,
    next_path: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    context = {"email": email, "error": error, "org": tenant.org, "next": next_path}
    return render(request, "admin/login.html", context, status_code=status_code)


@router.get("/login/admin")
async def login_form(
    request: Request,
    tenant: ProductionTenant,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "",
) -> Response:
    return _form(request, tenant, next_path=pages.safe_next(next_path, ""))


@router.post("/login/admin")
async def login(
    request: Request,
    session: SessionDep,
    tenant: ProductionTenant,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
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
        page = _form(
            request,
            tenant,
            email=email,
            error=outcome.message,
            next_path=pages.safe_next(next_path, ""),
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
        data={"client": pages.client_address(request), "agent": _agent(request)},
    )
    # Back to the page asked for (a path of the admin area only); a one-time password first
    # has to be replaced (deps.current_staff sends every other page there too).
    target = (
        PASSWORD_PATH if outcome.admin.must_change_password else pages.safe_next(next_path, HOME)
    )
    response = RedirectResponse(target, status_code=303)
    websessions.set_cookie(response, settings, "admin", token)
    return response


@router.post("/admin/logout")
async def logout(request: Request, session: SessionDep, ctx: StaffDep) -> Response:
    settings = settings_of(request)
    await websessions.end(session, settings, ctx.token)
    response = RedirectResponse("/login/admin", status_code=303)
    websessions.clear_cookie(response, settings, "admin")
    return response


def _agent(request: Request) -> str:
    """The browser's own name for itself, shortened, for the admin's list of sessions."""
    return request.headers.get("user-agent", "")[:200]
