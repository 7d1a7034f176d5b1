"""`GET /api/users/{partner_id}/interviews`: a user's practice interviews, for partners."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from greenroom.auth.guard import ApiRoute, principal_of, requires
from greenroom.auth.scopes import Scope
from greenroom.core.pagination import PageDep
from greenroom.core.responses import json_response
from greenroom.practice import service
from greenroom.progress.schemas import InterviewList
from greenroom.users.params import PartnerId

router = APIRouter(prefix="/api", tags=["Progress"], route_class=ApiRoute)


@router.get(
    "/users/{partner_id}/interviews",
    response_model=InterviewList,
    summary="List a user's practice interviews",
)
@requires(Scope.PROGRESS_READ)
async def list_interviews(partner_id: PartnerId, request: Request, page: PageDep) -> Response:
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
    items, cursor = await service.read_for_partner(
        request.app.state.database.direct, principal.tenant, partner_id, page
    )
    return json_response({"interviews": items, "next_cursor": cursor})
