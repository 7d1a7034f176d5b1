"""`GET /api/users/{partner_id}/interviews`: a user's practice interviews, for partners."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from greenroom.auth.deps import ApiRoute, principal_of, requires
from greenroom.auth.scopes import Scope
from greenroom.core.db import SessionDep
from greenroom.core.pagination import PageDep
from greenroom.practice import members, service
from greenroom.progress.schemas import InterviewList
from greenroom.users.params import PartnerId

router = APIRouter(prefix="/api", tags=["Progress"], route_class=ApiRoute)


@router.get(
    "/users/{partner_id}/interviews",
    response_model=InterviewList,
    summary="List a user's practice interviews",
)
@requires(Scope.PROGRESS_READ)
async def list_interviews(
    partner_id: PartnerId, request: Request, session: SessionDep, page: PageDep
) -> dict[str, Any]:
    """A user's practice interviews, most recently updated first (scope `progress:read`).

    ```
    curl 'http://xyz.greenroom.localhost/api/users/abc123def/interviews?limit=20' \\
      -H 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'
    ```
    Each item: `id`, `title`, `interviewer_name`, `category`, `completed`, `created_at`,
    `updated_at` and `links`: `review` (the interview's summary) and `retake` (start it again
    as a new interview), both paths you can pass as `redirect_to` at sign-in. Follow
    `next_cursor` for more (null on the last page). 404 for an unknown partner_id.
    """
    principal = principal_of(request)
    user = await members.active_user(session, principal.tenant, partner_id)
    items, cursor = await service.list_for_user(session, principal.tenant, user, page)
    return {"interviews": [service.interview_payload(i) for i in items], "next_cursor": cursor}
