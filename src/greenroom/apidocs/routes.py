"""The rendered API reference at `/api/docs`, from bundled Swagger UI assets (no CDN).

The assets come from the `fastapi-offline` package (a maintained bundle of Swagger UI), served
under `/api/docs/assets/`; the page's start-up script is our own static file, so the page keeps a
CSP without inline script. Swagger UI sets inline styles, so this page alone allows them.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from greenroom.core.headers import CSP
from greenroom.templating import render

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

router = APIRouter(include_in_schema=False)
assets = StaticFiles(directory=ASSETS_DIR)


@router.get("/api/docs")
async def api_docs(request: Request) -> HTMLResponse:
    response = render(request, "apidocs/index.html", {"org": request.state.tenant.org.name})
    response.headers["content-security-policy"] = DOCS_CSP
    return response
