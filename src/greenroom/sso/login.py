"""`GET /sso/login`: where a partner sends a user's browser with a one-time token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from greenroom.core.db import WriterSessionDep
from greenroom.sso import redeem as service
from greenroom.templating import render
from greenroom.tenancy.context import TenantDep
from greenroom.websessions import service as websessions

router = APIRouter(tags=["Single sign-on"])


@router.get(
    "/sso/login",
    response_class=Response,
    status_code=303,
    responses={
        303: {
            "description": "Signed in: the member's session cookie is set and the browser goes "
            "to `redirect_to` (or the dashboard).",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        401: {
            "description": "The token is unknown, used, expired or of another organization or "
            "environment: a page for the user, linking back to your return URL.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
    },
)
async def sso_login(
    request: Request,
    session: WriterSessionDep,
    tenant: TenantDep,
    token: Annotated[str, Query(description="The 64-character sign-in token.")] = "",
    redirect_to: Annotated[str | None, Query(description="A path in the practice app.")] = None,
    return_url: Annotated[
        str | None, Query(description="Where log-out sends the user (allowed origins only).")
    ] = None,
) -> Response:
    """Sign a user in with a token from `POST /api/users/{partner_id}` (or `.../sso`).

    Send the browser to `http://xyz.greenroom.localhost/sso/login?token={token}`, optionally with
    `redirect_to=/members/modules/...` (a path in the practice app; anything else lands on the
    dashboard) and `return_url=https://lms.xyz.example/...` (where log-out sends the user; only
    origins your org allowed). A token works once, within its lifetime; a failed sign-in shows
    a page (401) linking back to your return URL.
    """
    settings = request.app.state.settings
    try:
        redeemed = await service.redeem(session, settings, tenant, token, redirect_to=redirect_to)
    except service.RedemptionFailed:
        await session.rollback()
        return render(
            request,
            "sso/failed.html",
            {"return_url": tenant.org.sso_return_url, "org_name": tenant.org.name},
            status_code=401,
        )
    previous = request.cookies.get(websessions.COOKIE_NAMES["member"])
    cookie = await websessions.start(
        session,
        settings,
        tenant,
        kind="member",
        subject_id=redeemed.user.id,
        previous_token=previous if previous and len(previous) == 64 else None,
        data={"return_url": service.allowed_return_url(tenant.org, return_url)},
    )
    response = RedirectResponse(redeemed.redirect_to, status_code=303)
    websessions.set_cookie(response, settings, "member", cookie)
    response.headers["cache-control"] = "no-store"
    return response
