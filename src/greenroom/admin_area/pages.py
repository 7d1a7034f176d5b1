"""What every admin page shares: the layout's context (who, what their role lets them see,
which view, a one-time message) and small helpers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from greenroom.admin_area.deps import AdminContext
from greenroom.templating import render


def client_address(request: Request) -> str:
    # Behind a trusted proxy the socket peer is the proxy; the app is told so by uvicorn's
    # --proxy-headers, which rewrites `client` itself.
    return request.client.host if request.client else "unknown"


def page(
    request: Request,
    ctx: AdminContext,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str,
    status_code: int = 200,
) -> HTMLResponse:
    base = {
        "me": ctx.admin,
        "can_write": ctx.can_write,
        "can_coach": ctx.can_coach,
        "sees_settings": ctx.sees_settings,
        "view": ctx.view.value,
        "section": section,
        "org": ctx.tenant.org,
        "flash": None,
    }
    return render(request, template, {**base, **(context or {})}, status_code=status_code)


def safe_next(value: str | None, default: str = "/admin") -> str:
    """`value` when it is a path of the admin area on this host (where to go after log-in or
    a form), otherwise `default`: never another host, scheme or a path outside /admin."""
    if not value or len(value) > 2000:
        return default
    path = value.split("?", 1)[0]
    if (
        not (path == "/admin" or path.startswith("/admin/"))
        or "//" in value
        or "\\" in value
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
        or "/../" in path
        or path.endswith("/..")
    ):
        return default
    return value
