"""`GET /api/users/{partner_id}/interviews` (a user's practice interviews) and
`GET /api/users/{partner_id}/interviews/{id}` (one, with its answers), for partners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from greenroom.auth.guard import principal_of, requires
from greenroom.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from greenroom.core.responses import json_response
from greenroom.keys.scopes import Scope
from greenroom.practice import service
from greenroom.practice.schemas import InterviewEnvelope
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


@router.get(
    "/users/{partner_id}/interviews/{interview_id}",
    response_model=InterviewEnvelope,
    summary="Get a practice interview with its answers and feedback",
)
@requires(Scope.PROGRESS_READ)
async def get_interview(
    partner_id: PartnerId,
    interview_id: Annotated[
        str,
        Path(
            description="The interview's `id` from the list (an integer); the UUID in the "
            "practice app's own addresses is accepted too.",
            examples=["95607"],
        ),
    ],
    request: Request,
) -> Response:
    """One of a user's practice interviews with its questions and answers (scope
    `progress:read`).

    ```
    curl http://xyz.greenroom.localhost/api/users/abc123def/interviews/{id} \\
      -H 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'
    ```
    `{"interview": {...}}`: the fields of a list item, then `answer_time_limit_seconds`,
    `questions` (`number`, `prompt`, `tips`) and `answers`, one per question answered:
    `question_number`, `question`, `type` (`text` or `recording`), `text`, `rating`,
    `created_at`, `recording` (`media`: audio or video, `duration_seconds`; the file itself
    stays private to the student and your admins; `removed_at` and `removed_after_days` once
    the org's retention removed the file), `analysis_status` (`pending` while a
    recording is being transcribed, then `done` or `failed`; `interview.updated` is sent when
    it changes), `analysis_error`, `transcript` (`text` and timed `words`; null again after
    `transcript_removed_at` when the org removes transcripts too) and `feedback` (pace
    in words a minute, filler words, long pauses, length in seconds, STAR parts, the question's
    tips, each with a sentence for the student). 404 `interview_not_found` for an interview
    the user does not have, `user_not_found` for an unknown partner_id.
    """
    principal = principal_of(request)
    interview = await service.read_one_for_partner(
        request.app.state.database.direct, principal.tenant, partner_id, interview_id
    )
    return json_response({"interview": interview})
