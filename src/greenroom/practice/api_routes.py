"""`GET /api/users/{partner_id}/interviews`: a user's practice interviews, for partners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from greenroom.auth.guard import principal_of, requires
from greenroom.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from greenroom.core.responses import json_response
from greenroom.keys.scopes import Scope
from greenroom.practice import service
from greenroom.progress.schemas import InterviewList
from greenroom.users.params import PartnerId, PartnerIdRoute

router = APIRouter(prefix="/api", tags=["Progress"], route_class=PartnerIdRoute)


async def _optional_page(
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description="Items per page, 1 to 200. Without `limit` and `cursor`, every "
            "interview comes in one answer (as Big Interview's API answers).",
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="`next_cursor` from the previous page."),
    ] = None,
) -> Page | None:
    """Pages only when asked for: `limit` or `cursor` sent (async: FastAPI runs a plain `def`
    in a thread)."""
    if limit is None and cursor is None:
        return None
    return Page(limit or DEFAULT_LIMIT, cursor)


@router.get(
    "/users/{partner_id}/interviews",
    response_model=InterviewList,
    summary="List a user's practice interviews",
)
@requires(Scope.PROGRESS_READ)
async def list_interviews(
    partner_id: PartnerId,
    request: Request,
    page: Annotated[Page | None, Depends(_optional_page)],
) -> Response:
    """A user's practice interviews, most recently updated first (scope `progress:read`).

    ```
    curl http://xyz.greenroom.localhost/api/users/abc123def/interviews \\
      -H 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'
    ```
    Every interview comes in one answer, as in Big Interview's API (`next_cursor` is then null);
    send `limit` (and then `cursor`) to page through them instead. Each item: `id` (an integer,
    unique in your organization), `title`, `interviewer_name`, `category`, `completed`,
    `created_at`, `updated_at` and `links`: `review` (the interview's summary) and `retake`
    (start it again as a new interview), both paths you can pass as `redirect_to` at sign-in.
    404 for an unknown partner_id.
    """
    principal = principal_of(request)
    items, cursor = await service.read_for_partner(
        request.app.state.database.direct, principal.tenant, partner_id, page
    )
    return json_response({"interviews": items, "next_cursor": cursor})
