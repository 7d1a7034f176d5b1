"""`POST /api/users/{partner_id}/export`, `GET /api/users/{partner_id}/exports/{export_id}` and
its download (docs/partner-api.md, Exports). Thin: the rules live in `exports.service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request, Response
from starlette.responses import FileResponse

from greenroom.auth.guard import principal_of, requires
from greenroom.core.db import SessionDep
from greenroom.core.problems import problem_responses
from greenroom.core.responses import json_response
from greenroom.exports import service
from greenroom.exports.schemas import ExportEnvelope, ExportStartedEnvelope
from greenroom.keys.scopes import Scope
from greenroom.users import service as users
from greenroom.users.params import PartnerId, PartnerIdRoute

router = APIRouter(prefix="/api/users", tags=["Exports"], route_class=PartnerIdRoute)
ExportId = Annotated[
    str,
    Path(
        max_length=64,
        description="The export's `id` from `POST /api/users/{partner_id}/export`.",
        examples=["7c1e4b2a-5d3f-4e6a-9b8c-0d1e2f3a4b5c"],
    ),
]


@router.post(
    "/{partner_id}/export",
    status_code=202,
    response_model=ExportStartedEnvelope,
    summary="Export a user's data (start)",
)
@requires(Scope.USERS_READ)
async def start_export(
    partner_id: PartnerId, session: SessionDep, request: Request, background: BackgroundTasks
) -> Response:
    """Start building a ZIP of everything held about the user (GDPR access and portability):
    `user.json` (the user, their progress, every practice interview with its questions and
    answers, transcripts, spoken feedback and coaches' comments) and the recorded answers' files.

    Answers 202 with the export, `pending`; poll `GET /api/users/{partner_id}/exports/{id}` (or
    wait for the `user.exported` webhook) until `state` is `ready`, then `GET` its
    `download_url` with your key. The ZIP can be downloaded for 24 hours. While an export of
    the user is pending or running, asking again answers that one. Example:

        POST /api/users/abc123def/export
        Host: xyz.greenroom.localhost
        Authorization: 935d85189822bf96c28c4fa79d3d8f31
    """
    principal = principal_of(request)
    # Kept from deletion until the commit: an erasure at the same time waits, then takes the
    # export with the user.
    user_id, _expires = await users.kept_user_ref(session, principal.tenant, partner_id)
    export, job_id = await service.start(
        session, principal.tenant, user_id, requested_by=principal.actor
    )
    body = {"export": service.public_export(export, partner_id)}
    # The job must be committed before a runner (another session) can claim it.
    await session.commit()
    if job_id is not None:
        background.add_task(request.app.state.jobs.run_now, job_id)
    return json_response(
        body,
        status_code=202,
        headers={"Location": f"/api/users/{partner_id}/exports/{export.id}"},
    )


@router.get(
    "/{partner_id}/exports/{export_id}",
    response_model=ExportEnvelope,
    summary="Get an export's state",
)
@requires(Scope.USERS_READ)
async def get_export(
    partner_id: PartnerId, export_id: ExportId, session: SessionDep, request: Request
) -> Response:
    """The export's `state` (`pending`, `running`, `ready`, `failed`, `expired`) and, when
    ready, its `download_url` (valid until `expires_at`, 24 hours after it became ready). 404
    `export_not_found` for an export that is not this user's in your organization and
    environment. Example: `GET /api/users/abc123def/exports/7c1e4b2a-5d3f-4e6a-9b8c-0d1e2f3a4b5c`
    with `Authorization: 935d85189822bf96c28c4fa79d3d8f31`."""
    principal = principal_of(request)
    user = await users.get_user(session, principal.tenant, partner_id)
    export = await service.get(session, principal.tenant, user, export_id)
    return json_response({"export": service.public_export(export, user.partner_id)})


@router.get(
    "/{partner_id}/exports/{export_id}/download",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The ZIP, streamed from disk.",
            "content": {
                "application/zip": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "(the ZIP's bytes)",
                }
            },
        },
        **problem_responses(409),
    },
    summary="Download an export's ZIP",
)
@requires(Scope.USERS_READ)
async def download_export(
    partner_id: PartnerId, export_id: ExportId, session: SessionDep, request: Request
) -> Response:
    """The export's ZIP (`application/zip`), with your key, for 24 hours after it became ready:
    afterwards 404 `export_expired`; before it is ready, 409 `export_not_ready`. Only your
    organization's keys (in the export's environment) can download it. Example:

        GET /api/users/abc123def/exports/7c1e4b2a-5d3f-4e6a-9b8c-0d1e2f3a4b5c/download
        Host: xyz.greenroom.localhost
        Authorization: 935d85189822bf96c28c4fa79d3d8f31
    """
    principal = principal_of(request)
    user = await users.get_user(session, principal.tenant, partner_id)
    export, path = await service.file_of(
        session, principal.tenant, user, export_id, request.app.state.exports
    )
    return service.download(user, export, path)
