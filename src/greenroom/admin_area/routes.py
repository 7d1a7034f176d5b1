"""The admin area's routers, and how its pages answer when nobody (or the wrong role) is signed
in."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import (
    routes_account,
    routes_admins,
    routes_audit,
    routes_auth,
    routes_coaching,
    routes_dashboard,
    routes_exports,
    routes_imports,
    routes_keys,
    routes_privacy,
    routes_question_sets,
    routes_root,
    routes_users,
    routes_view,
    routes_webhooks,
)
from greenroom.admin_area.deps import (
    PASSWORD_PATH,
    LoginRequired,
    PasswordChangeRequired,
    WrongHost,
)
from greenroom.core.routing import add_routes

ROUTERS = (
    routes_root.router,
    routes_auth.router,
    routes_account.router,
    routes_dashboard.router,
    routes_keys.router,
    routes_view.router,
    routes_admins.router,
    routes_users.router,
    routes_exports.router,
    routes_coaching.router,
    routes_imports.router,
    routes_webhooks.router,
    routes_audit.router,
    routes_question_sets.router,
    routes_privacy.router,
)


async def _login_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = "/login/admin"
    if exc.next_path and exc.next_path != "/admin":
        target += "?" + urlencode({"next": exc.next_path})
    return RedirectResponse(target, status_code=303)


async def _password_change_required(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse(PASSWORD_PATH, status_code=303)


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
    app.add_exception_handler(PasswordChangeRequired, _password_change_required)
    app.add_exception_handler(WrongHost, _wrong_host)
