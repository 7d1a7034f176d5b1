"""Partner users: `/api/users` (docs/partner-api.md, Users). Thin: the rules live in
`users.service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from greenroom.auth.guard import principal_of, requires
from greenroom.auth.principal import Principal
from greenroom.core.db import SessionDep
from greenroom.core.pagination import PageDep, UtcTime
from greenroom.core.problems import problem_responses
from greenroom.core.responses import iso, json_response
from greenroom.core.settings import ServerSecret, Settings
from greenroom.keys.scopes import Scope
from greenroom.users import service
from greenroom.users.params import PartnerId, PartnerIdRoute
from greenroom.users.schemas import (
    UserCreatedEnvelope,
    UserEnvelope,
    UserList,
    UserWrite,
)

router = APIRouter(prefix="/api/users", tags=["Users"], route_class=PartnerIdRoute)
# No body (or `{}`) on an existing user: nothing changes, and a fresh sign-in token comes back
# (Big Interview's "refresh"); on a new user, the usual 422 naming the required fields.
EMPTY_WRITE = UserWrite()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _token_secret(request: Request, principal: Principal) -> ServerSecret | None:
    """Sign-in tokens come only with keys that may create them."""
    if Scope.SSO_CREATE not in principal.scopes:
        return None
    return _settings(request).server_secrets[0]


def _created_response(result: service.UserWithToken) -> Response:
    """`UserCreatedEnvelope`: 201 with `Location` when created, else 200."""
    token = result.token
    body = {
        "user": {
            **result.public,
            "token": {"token": token.token, "expires_at": iso(token.expires_at)} if token else None,
        }
    }
    if not result.created:
        return json_response(body)
    return json_response(
        body, status_code=201, headers={"Location": f"/api/users/{result.user.partner_id}"}
    )


@router.post(
    "/anonymous",
    status_code=201,
    response_model=UserCreatedEnvelope,
    responses=problem_responses(403, 429),
    summary="Create an anonymous user",
)
@requires(Scope.ANONYMOUS_CREATE)
async def create_anonymous_user(request: Request) -> Response:
    """Create a temporary user whose `partner_id` the API generates (a UUID).

    The user is active for 24 hours, then gone: every call about them answers 404 and their
    data is deleted. Use the returned `partner_id` anywhere else a `partner_id` goes, and the
    `token` to sign them in (`http://xyz.greenroom.localhost/sso/login?token=...`).

    Your organization must be approved for anonymous users (else 403 `feature_not_enabled`), and
    may create a limited number a day (429 beyond it). Example for XYZ Corporation:

        POST /api/users/anonymous
        Host: xyz.greenroom.localhost
        Authorization: 935d85189822bf96c28c4fa79d3d8f31
    """
    principal = principal_of(request)
    async with request.app.state.database.direct.transaction() as tx:
        result = await service.create_anonymous(
            tx,
            principal.tenant,
            secret=_token_secret(request, principal),
            default_cap=_settings(request).anonymous_daily_cap,
        )
    return _created_response(result)


@router.post(
    "/{partner_id}",
    response_model=UserCreatedEnvelope,
    responses={
        201: {"model": UserCreatedEnvelope, "description": "The user was created."},
        **problem_responses(404, 422),
    },
    summary="Create or update a user",
)
@requires(Scope.USERS_WRITE)
async def create_or_update_user(
    partner_id: PartnerId,
    request: Request,
    data: UserWrite | None = None,
) -> Response:
    """Create the user `partner_id` (201, with `Location`) or update it (200).

    On creation `first_name`, `last_name` and `email` are required; afterwards every field is
    optional: a present, valid value replaces what is stored, and a null or empty one leaves it
    as it is. No body at all (or `{}`) on an existing user changes nothing and returns a fresh
    token: Big Interview's "refresh". `metadata` is your own JSON object (at most 4 KB). Each
    call returns a fresh one-time sign-in `token` in the user object when your key holds
    `sso:create` (else `token` is null); for an anonymous user it never outlives the user. The
    body may be JSON or form-encoded. Example for XYZ Corporation:

        POST /api/users/abc123def
        Host: xyz.greenroom.localhost
        Authorization: 935d85189822bf96c28c4fa79d3d8f31
        Content-Type: application/json

        {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}
    """
    principal = principal_of(request)
    async with request.app.state.database.direct.transaction() as tx:
        result = await service.create_or_update(
            tx,
            principal.tenant,
            partner_id,
            data or EMPTY_WRITE,
            secret=_token_secret(request, principal),
        )
    return _created_response(result)


@router.get(
    "",
    response_model=UserList,
    summary="List users",
)
@requires(Scope.USERS_READ)
async def list_users(
    request: Request,
    page: PageDep,
    email: Annotated[
        str | None,
        Query(
            max_length=320,
            pattern=r"^[^\x00-\x1f\x7f]*$",
            description="Only users with this email (any case).",
        ),
    ] = None,
    updated_since: Annotated[
        UtcTime | None,
        Query(description="Only users changed at or after this ISO 8601 time (UTC if no zone)."),
    ] = None,
    anonymous: Annotated[
        bool | None, Query(description="true: only anonymous users; false: only named ones.")
    ] = None,
) -> Response:
    """The organization's users in this environment, least recently changed first.

    Page with `limit` and `cursor` (pass back `next_cursor`, which is null on the last page). To
    keep a copy in sync, remember when you last called and pass it as `updated_since`. Example:

        GET /api/users?updated_since=2026-11-01T00:00:00Z&limit=100
        Host: xyz.greenroom.localhost
        Authorization: 935d85189822bf96c28c4fa79d3d8f31
    """
    principal = principal_of(request)
    users, next_cursor = await service.read_users(
        request.app.state.database.direct,
        principal.tenant,
        limit=page.limit,
        cursor=page.cursor,
        email=email,
        updated_since=updated_since,
        anonymous=anonymous,
    )
    return json_response({"users": users, "next_cursor": next_cursor})


@router.get("/{partner_id}", response_model=UserEnvelope, summary="Get a user")
@requires(Scope.USERS_READ)
async def get_user(partner_id: PartnerId, request: Request) -> Response:
    """One user by your `partner_id`. Example: `GET /api/users/abc123def` on
    `xyz.greenroom.localhost` with `Authorization: 935d85189822bf96c28c4fa79d3d8f31`."""
    principal = principal_of(request)
    user = await service.read_user(request.app.state.database.direct, principal.tenant, partner_id)
    return json_response({"user": user})


@router.delete(
    "/{partner_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a user and all their data",
)
@requires(Scope.USERS_DELETE)
async def delete_user(partner_id: PartnerId, session: SessionDep, request: Request) -> Response:
    """Erase the user for good: their profile, sign-in tokens, practice interviews, recordings and
    progress. Answers 204; a user that does not exist (or no longer does) is 404. Example:
    `DELETE /api/users/abc123def` with `Authorization: 935d85189822bf96c28c4fa79d3d8f31`."""
    principal = principal_of(request)
    await service.delete_user(session, principal.tenant, partner_id)
    return Response(status_code=204)
