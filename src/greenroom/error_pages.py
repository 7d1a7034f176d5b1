"""Errors as pages on the browser-facing routes, problem+json on the API.

Everything outside `/api/` (and the probes `/healthz`, `/readyz`, `/metrics`) is a page a
person's browser asked for: the admin area, the members' app, the org's root, a mistyped path.
There an error is an HTML page with the same status (and the stable `code` in a `data-code`
attribute); under `/api/` it stays problem+json, as the Partner API documents. The admin area's
"sign in first" is a redirect (`admin_area.routes`), not an error page.
"""

from __future__ import annotations

import logging

from fastapi import Request
from starlette.responses import Response
from starlette.types import Scope

from greenroom.core.errors import AppError, Forbidden, error_for_status
from greenroom.practice.members import NotSignedIn
from greenroom.templating import render
from greenroom.tenancy.context import Tenant

log = logging.getLogger("greenroom.errors")
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


def is_browser_path(path: str) -> bool:
    return not path.startswith("/api/") and path != "/api" and path not in PROBES


def error_page(request: Request, error: AppError) -> Response:
    """The page for `error`, in the look of the area the path belongs to."""
    tenant = getattr(request.state, "tenant", None)
    org = tenant.org if isinstance(tenant, Tenant) else None
    path = request.url.path
    if path.startswith("/members/"):
        template = "members/error.html"
    elif path.startswith(("/admin", "/login/admin")):
        template = "admin/error.html"
    else:
        template = "error.html"
    response = render(
        request,
        template,
        {
            "error": error,
            "signed_out": isinstance(error, NotSignedIn),
            "return_url": org.sso_return_url if org else None,
            "org_name": org.name if org else "your organization",
            "org": org,
        },
        status_code=error.status,
    )
    response.headers.update(error.headers)
    return response


def page_for(request: Request, error: AppError) -> Response | None:
    """The page for `error` on a browser-facing path, or None (the API: problem+json). Given to
    `core.errors.install_error_handlers`, which turns every error into an `AppError` first."""
    if not is_browser_path(request.url.path):
        return None
    if error.status == 404 and error.code == "not_found":
        error = error_for_status(404, "There is no page at this address.")
    return error_page(request, error)


def csrf_refusal(scope: Scope) -> Response:
    """The 403 page for a form sent without its CSRF token (core.csrf's `refusal`)."""
    return error_page(
        Request(scope),
        Forbidden(
            "This form could not be accepted (CSRF check failed): it has expired or did not come "
            "from this site. Go back, reload the page and send it again.",
            code="csrf_failed",
        ),
    )
