"""`GET /api/users/{partner_id}/interviews` (a user's practice interviews) and
`GET /api/users/{partner_id}/interviews/{id}` (one, with its answers), for partners."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from greenroom.auth.guard import ApiRoute, principal_of, requires
from greenroom.auth.scopes import Scope
from greenroom.core.pagination import PageDep
from greenroom.core.responses import json_response
from greenroom.practice import service
from greenroom.practice.schemas import InterviewEnvelope
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


@router.get(
    "/users/{partner_id}/interviews/{interview_id}",
    response_model=InterviewEnvelope,
    summary="Get a practice interview with its answers and feedback",
)
@requires(Scope.PROGRESS_READ)
async def get_interview(partner_id: PartnerId, interview_id: str, request: Request) -> Response:
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
    stays private to the student and your admins), `analysis_status` (`pending` while a
    recording is being transcribed, then `done` or `failed`; `interview.updated` is sent when
    it changes), `analysis_error`, `transcript` (`text` and timed `words`) and `feedback` (pace
    in words a minute, filler words, long pauses, length in seconds, STAR parts, the question's
    tips, each with a sentence for the student). 404 `interview_not_found` for an interview
    the user does not have, `user_not_found` for an unknown partner_id.
    """
    principal = principal_of(request)
    interview = await service.read_one_for_partner(
        request.app.state.database.direct, principal.tenant, partner_id, interview_id
    )
    return json_response({"interview": interview})
