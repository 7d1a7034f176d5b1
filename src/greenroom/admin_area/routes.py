"""The admin area's routers, and how its pages answer when nobody is signed in."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import (
    routes_admins,
    routes_audit,
    routes_auth,
    routes_imports,
    routes_keys,
    routes_question_sets,
    routes_users,
    routes_view,
    routes_webhooks,
)
from greenroom.admin_area.deps import LoginRequired, WrongHost
from greenroom.core.routing import add_routes

ROUTERS = (
    routes_auth.router,
    routes_keys.router,
    routes_view.router,
    routes_admins.router,
    routes_users.router,
    routes_imports.router,
    routes_webhooks.router,
    routes_audit.router,
    routes_question_sets.router,
)


async def _login_required(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse("/login/admin", status_code=303)


async def _wrong_host(request: Request, _exc: Exception) -> Response:
    settings = request.app.state.settings
    tenant = request.state.tenant
    return RedirectResponse(
        settings.org_origin(tenant.org.slug) + request.url.path, status_code=303
    )


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        add_routes(app, router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(WrongHost, _wrong_host)
