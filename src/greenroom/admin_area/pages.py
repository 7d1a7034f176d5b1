"""What every admin page shares: the layout's context (who, which view) and small helpers."""

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
        "view": ctx.view.value,
        "section": section,
        "org": ctx.tenant.org,
    }
    return render(request, template, {**base, **(context or {})}, status_code=status_code)
