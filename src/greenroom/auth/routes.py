"""`/api/auth/*`: test your credentials, and admin bearer tokens."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from starlette.responses import JSONResponse

from greenroom.auth import tokens
from greenroom.auth.authenticator import Authenticator
from greenroom.auth.guard import ApiRoute, principal_of, requires
from greenroom.auth.schemas import (
    AuthCheck,
    RefreshRequest,
    RevokeRequest,
    TokenRequest,
    TokenResponse,
)
from greenroom.core.db import SessionDep
from greenroom.core.errors import problem_response

router = APIRouter(prefix="/api/auth", tags=["Authentication"], route_class=ApiRoute)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _token_response(pair: tokens.TokenPair, response: Response) -> TokenResponse:
    response.headers.update(NO_STORE)
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_in=pair.refresh_expires_in,
    )


@router.get("/check", response_model=AuthCheck)
@requires(None)
async def check(request: Request) -> Response:
    """Test your authentication.

    Send your key as `Authorization: 935d85189822bf96c28c4fa79d3d8f31` (or in `X-API-Key`,
    optionally with `Authorization: Bearer {access_token}`). The answer names the organization,
    the environment (`production` or `sandbox`, from the host you called), the key (name and
    last 4 characters), what the request may do, and the admin when a bearer token came along.
    """
    principal = principal_of(request)
    # Built by hand (the shape is `AuthCheck`): this is the path partners poll and we benchmark.
    admin = None
    if principal.admin_id is not None:
        admin = {
            "id": str(principal.admin_id),
            "email": principal.admin_email,
            "role": principal.admin_role,
        }
    body = {
        "org": {"slug": principal.tenant.org.slug, "name": principal.tenant.org.name},
        "environment": principal.tenant.environment.value,
        "key": {
            "id": str(principal.key_id),
            "name": principal.key_name,
            "last4": principal.key_last4,
            "scopes": sorted(principal.key_scopes or principal.scopes),
        },
        "scopes": sorted(principal.scopes),
        "admin": admin,
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.post("/token", response_model=TokenResponse)
@requires(None)
async def issue_token(
    body: TokenRequest,
    session: SessionDep,
    request: Request,
    response: Response,
) -> TokenResponse | JSONResponse:
    """Sign an admin in: a 15-minute access token and a 30-day refresh token.

    Send the org key in `X-API-Key` and the email and password of an admin of that
    organization. Use the access token as `Authorization: Bearer {access_token}` beside
    `X-API-Key`; the request may then do what both the key and the admin's role allow. After 5
    failed attempts in 15 minutes (per account, and per client address) the answer is 429.
    """
    principal = principal_of(request)
    authenticator = _authenticator(request)
    outcome = await tokens.login(
        session,
        request.app.state.database.reader,
        principal.tenant,
        email=body.email,
        password=body.password,
        key_id=principal.key_id,
        secret=authenticator.signing_secret,
        throttle=authenticator.login_throttle,
        failures=authenticator.failed_logins,
        client_address=_client(request),
    )
    if isinstance(outcome, tokens.Failure):
        return problem_response(outcome.error)
    return _token_response(outcome, response)


@router.post("/refresh", response_model=TokenResponse)
@requires(None)
async def refresh_token(
    body: RefreshRequest,
    session: SessionDep,
    request: Request,
    response: Response,
) -> TokenResponse | JSONResponse:
    """Exchange a refresh token for a new pair. Each refresh token works once: presenting a
    used one again revokes every token of that sign-in (someone else may hold a copy)."""
    principal = principal_of(request)
    authenticator = _authenticator(request)
    outcome = await tokens.refresh(
        session,
        principal.tenant,
        refresh_token=body.refresh_token,
        key_id=principal.key_id,
        server_secrets=authenticator.server_secrets,
        client_address=_client(request),
    )
    if isinstance(outcome, tokens.Failure):
        return problem_response(outcome.error)
    return _token_response(outcome, response)


@router.post("/revoke", status_code=200)
@requires(None)
async def revoke_token(
    body: RevokeRequest, session: SessionDep, request: Request
) -> dict[str, str]:
    """Sign out: revoke an access or refresh token and every token of the same sign-in.
    Answers 200 whether or not the token was valid (RFC 7009)."""
    principal = principal_of(request)
    authenticator = _authenticator(request)
    await tokens.revoke(
        session,
        principal.tenant,
        token=body.token,
        key_id=principal.key_id,
        server_secrets=authenticator.server_secrets,
        client_address=_client(request),
    )
    return {}
