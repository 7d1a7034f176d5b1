"""POST /api/users/{partner_id}/sso: a one-time sign-in link (docs/partner-api.md, Single
sign-on)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from greenroom.auth.guard import principal_of, requires
from greenroom.core.problems import problem_responses
from greenroom.core.responses import iso, json_response
from greenroom.core.settings import Settings
from greenroom.keys.scopes import Scope
from greenroom.sso.schemas import SsoRequest, SsoTokenOut
from greenroom.users import service as users
from greenroom.users import signin
from greenroom.users.params import PartnerId, PartnerIdRoute

router = APIRouter(prefix="/api/users", tags=["Single sign-on"], route_class=PartnerIdRoute)


@router.post(
    "/{partner_id}/sso",
    status_code=201,
    response_model=SsoTokenOut,
    responses=problem_responses(404, 422),
    summary="Create a sign-in link",
)
@requires(Scope.SSO_CREATE)
async def create_sso_token(
    partner_id: PartnerId,
    request: Request,
    data: SsoRequest | None = None,
) -> Response:
    """A one-time sign-in token for the user, with the whole URL to send their browser to.

    `redirect_to` (optional) is where the user lands after signing in; it must be a path on
    your organization's host such as `/members/dashboard` (anything else, including `//host`,
    `https://...` or encoded tricks, is 422 `invalid_redirect`). `expires_in` (optional) makes
    the token shorter-lived than your organization's lifetime (48 hours unless changed). Earlier
    tokens keep working until used or expired. Example for XYZ Corporation:

        POST /api/users/abc123def/sso
        Host: xyz.greenroom.localhost
        Authorization: 935d85189822bf96c28c4fa79d3d8f31
        Content-Type: application/json

        {"redirect_to": "/members/dashboard"}
    """
    principal = principal_of(request)
    data = data or SsoRequest()
    tenant = principal.tenant
    settings: Settings = request.app.state.settings
    async with request.app.state.database.direct.transaction() as tx:
        user_id, user_expires_at = await users.kept_user_ref(tx, tenant, partner_id)
        issued = await signin.issue_token(
            tx,
            tenant,
            user_id,
            secret=settings.server_secrets[0],
            expires_in=data.expires_in,
            redirect_to=data.redirect_to,
            not_after=user_expires_at,
        )
    origin = settings.org_origin(tenant.org.slug, tenant.environment.value)
    url = f"{origin}/sso/login?{urlencode({'token': issued.token})}"
    return json_response(
        {"token": issued.token, "url": url, "expires_at": iso(issued.expires_at)},
        status_code=201,
    )
