"""Server-rendered pages: one Jinja environment (autoescaped) and the bundled static files.

Templates live in `templates/` by area (`members/`, `admin/`, `sso/`), all extending `base.html`.
No CDN: every script, style and font is served from `/static/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from greenroom.core.csrf import csrf_token

PACKAGE = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE / "static"
templates = Jinja2Templates(directory=PACKAGE / "templates")


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    ctx = {"csrf_token": csrf_token(request.scope), **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
