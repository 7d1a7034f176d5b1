"""Progress API: what a partner reads to show a user's practice in their own system."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from greenroom.auth.guard import principal_of, requires
from greenroom.content.deps import PackDep
from greenroom.core.pagination import PageDep, UtcTime
from greenroom.core.responses import json_response
from greenroom.keys.scopes import Scope
from greenroom.progress import schemas, service
from greenroom.users.params import PartnerId, PartnerIdRoute

router = APIRouter(prefix="/api", tags=["Progress"], route_class=PartnerIdRoute)


@router.get(
    "/users/{partner_id}/progress",
    response_model=schemas.ProgressEnvelope,
    summary="Get a user's progress",
)
@requires(Scope.PROGRESS_READ)
async def get_progress(partner_id: PartnerId, request: Request, pack: PackDep) -> Response:
    """A user's progress (scope `progress:read`).

    ```
    curl http://xyz.greenroom.localhost/api/users/abc123def/progress \\
      -H 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'
    ```
    Returns `{"progress": {...}}`: `percent_complete` (0 to 100, lessons completed of all
    lessons), `lessons` `{completed, total}`, `practice_interviews` `{started, completed}`,
    `answers_recorded` (answers given, by text or recording), `average_rating` (the user's
    self-ratings, 1 to 5, or null), `last_activity_at`, `modules` (each with `slug`, `title`,
    `lessons_completed`, `lessons_total`, `percent_complete`, and `link`, a path you can pass as
    `redirect_to` at sign-in) and `updated_at`. A user with no activity yet reads as all zeros.
    404 for an unknown partner_id, another org's or environment's, or an expired anonymous user.
    """
    principal = principal_of(request)
    row = await service.read_for_partner_id(
        request.app.state.database.direct, principal.tenant, partner_id
    )
    return json_response({"progress": service.to_public(row, row, pack)})


@router.get("/progress", response_model=schemas.ProgressList, summary="List progress of many users")
@requires(Scope.PROGRESS_READ)
async def list_progress(
    request: Request,
    pack: PackDep,
    page: PageDep,
    updated_since: Annotated[
        UtcTime | None,
        Query(
            description="Only users whose progress changed at or after this ISO 8601 time "
            "(UTC if no zone)."
        ),
    ] = None,
) -> Response:
    """Progress of many users at once, for keeping your system in sync (scope `progress:read`).

    Lists users with any activity, least recently changed first; pass the `updated_at` of your
    last sync as `updated_since`, and follow `next_cursor` (null on the last page). Each item has
    the shape of `GET /api/users/{partner_id}/progress`.

    ```
    curl 'http://xyz.greenroom.localhost/api/progress?updated_since=2026-11-20T00:00:00Z' \\
      -H 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'
    ```
    """
    principal = principal_of(request)
    items, cursor = await service.read_page(
        request.app.state.database.direct,
        principal.tenant,
        pack,
        updated_since=updated_since,
        page=page,
    )
    return json_response({"progress": items, "next_cursor": cursor})


@router.get(
    "/users/{partner_id}/tracks", response_model=schemas.Tracks, summary="Get a user's tracks"
)
@router.get(
    "/users/{partner_id}/track",
    response_model=schemas.Tracks,
    summary="Get a user's tracks (the path of Big Interview's getting-started page)",
    description="The same as `GET /api/users/{partner_id}/tracks`, under the singular path that "
    "Big Interview's getting-started page prints (`GET /api/users/abc123def/track` on "
    "`xyz.greenroom.localhost` with `Authorization: 935d85189822bf96c28c4fa79d3d8f31`).",
)
@requires(Scope.PROGRESS_READ)
async def get_tracks(partner_id: PartnerId, request: Request, pack: PackDep) -> Response:
    """A user's lessons in Big Interview's track shape (scope `progress:read`).

    `{"tracks": [{"title", "progress", "tracks": [{"step", "title", "link", "completed"}]}]}`:
    each module is a track with `progress` from 0.00 to 1.00, and its lessons are the steps. A
    step's `link` is a path in the practice app: pass it as `redirect_to` when you sign the
    user in (`/sso/login?token=...&redirect_to=/members/modules/...`) to open that lesson.

    ```
    curl http://xyz.greenroom.localhost/api/users/abc123def/tracks \\
      -H 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'
    ```
    404 for an unknown partner_id, another org's or environment's, or an expired anonymous user.
    """
    principal = principal_of(request)
    row = await service.read_for_partner_id(
        request.app.state.database.direct, principal.tenant, partner_id
    )
    return json_response({"tracks": service.tracks(row, pack)})
