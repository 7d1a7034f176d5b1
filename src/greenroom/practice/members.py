"""Who the member is: users looked up within the tenant, and the signed-in member of a request.

Anonymous users count as gone once `expires_at` has passed (docs/partner-api.md, Anonymous
users), here and in the API, even before the purge deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from greenroom.core.db import SessionDep
from greenroom.core.errors import AppError, Unauthorized, problem_response, validation_problem
from greenroom.templating import render
from greenroom.tenancy.context import Tenant, TenantDep
from greenroom.users import service as users
from greenroom.users.models import User
from greenroom.websessions import service as websessions
from greenroom.websessions.models import WebSession


async def active_user(session: AsyncSession, tenant: Tenant, partner_id: str) -> User:
    """The tenant's live user with this partner_id, or 404 (unknown, other org, expired)."""
    return await users.get_user(session, tenant, partner_id)


class NotSignedIn(Unauthorized):
    code = "not_signed_in"
    default_detail = "Sign in through your organization to use the practice app."


@dataclass(frozen=True, slots=True)
class Member:
    user: User
    web_session: WebSession
    token: str


async def current_member(request: Request, session: SessionDep, tenant: TenantDep) -> Member:
    settings = request.app.state.settings
    token = request.cookies.get(websessions.COOKIE_NAMES["member"])
    found = await websessions.load(
        session,
        settings,
        tenant,
        kind="member",
        token=token,
        seen=request.app.state.websessions_seen,
    )
    if found is None or token is None:
        raise NotSignedIn()
    user = await users.get_user_by_id(session, tenant, found.subject_id)
    if user is None:
        raise NotSignedIn()
    return Member(user, found, token)


MemberDep = Annotated[Member, Depends(current_member)]


async def error_page(request: Request, exc: Exception) -> Response:
    """Errors in the practice app: a page for browsers, problem+json for everything else.

    Only `/members/` requests that accept HTML get a page; the API's errors are unchanged.
    """
    assert isinstance(exc, AppError)
    wants_html = "text/html" in request.headers.get("accept", "")
    if not (request.url.path.startswith("/members/") and wants_html):
        return problem_response(exc)
    tenant = getattr(request.state, "tenant", None)
    org = tenant.org if isinstance(tenant, Tenant) else None
    return render(
        request,
        "members/error.html",
        {
            "error": exc,
            "signed_out": isinstance(exc, NotSignedIn),
            "return_url": org.sso_return_url if org else None,
            "org_name": org.name if org else "your organization",
        },
        status_code=exc.status,
    )


async def validation_error_page(request: Request, exc: Exception) -> Response:
    """A form in the practice app sent something invalid: the same page as other errors, listing
    the fields (problem+json outside `/members/`, as everywhere)."""
    assert isinstance(exc, RequestValidationError)
    return await error_page(request, validation_problem(exc))
