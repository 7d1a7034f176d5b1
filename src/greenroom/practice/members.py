"""Who the member is: users looked up within the tenant, and the signed-in member of a request.

Anonymous users count as gone once `expires_at` has passed (docs/partner-api.md, Anonymous
users), here and in the API, even before the purge deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.db import SessionDep
from greenroom.core.errors import Unauthorized
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
