"""Coaching: a student's interview with its answers (text, recording, transcript and feedback
where the answer has them), the recordings themselves, and comments on answers.

Recordings are sensitive (a student's voice, perhaps their face): only the org's admins and
coaches may play them (`CoachDep`), only for users of the org and the environment in view, and
every playback or download is an audit entry (`recording.played`, `recording.downloaded`: who,
which user, which answer). A player fetches a file in ranges, and may start again from byte 0
when it reloads or retries: a playback is recorded at its first request (no Range, or a range
from byte 0) unless the same admin played the same answer in the last minute, so seeking and
retries do not fill the log; overlapping requests of one player count once
(`service.RecentPlaybacks`). Every download is recorded.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash, service, users_view
from greenroom.admin_area.deps import CoachDep, StaffDep
from greenroom.admin_area.pages import client_address, page
from greenroom.core.db import SessionDep, WriterSessionDep
from greenroom.core.errors import NotFound, ValidationFailed
from greenroom.practice import playback
from greenroom.practice import service as practice
from greenroom.practice.models import Answer, Interview
from greenroom.users.models import User

router = APIRouter(include_in_schema=False)
FIRST_RANGE = re.compile(r"^\s*bytes\s*=\s*0\s*-")
SAME_PLAYBACK = timedelta(minutes=1)
recent_playbacks = service.RecentPlaybacks(SAME_PLAYBACK)


def interview_path(user: User, interview: Interview) -> str:
    return f"/admin/users/{user.partner_id}/interviews/{interview.id}"


@router.get("/admin/users/{partner_id}/interviews/{interview_id}")
async def interview_page(
    request: Request, session: SessionDep, ctx: StaffDep, partner_id: str, interview_id: str
) -> Response:
    user = await users_view.get_user(session, ctx.tenant.org_id, ctx.view, partner_id)
    interview = await practice.get_own(session, ctx.view_tenant, user, interview_id)
    return await _render(request, session, ctx, user, interview)


async def _render(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    user: User,
    interview: Interview,
    *,
    error: tuple[str, str, str] | None = None,
) -> Response:
    """The interview page; `error` is (answer id, message, the comment's text) after a refused
    comment, whose text the form keeps."""
    return page(
        request,
        ctx,
        "admin/interview.html",
        {
            "user": user,
            "interview": interview,
            "answers": await practice.answers_of(session, interview),
            "comments": await practice.comments_of(session, interview),
            "flash": None if error else await flash.take(request, ctx),
            "error": error,
            "path": interview_path(user, interview),
        },
        section="users",
        status_code=422 if error else 200,
    )


@router.post("/admin/users/{partner_id}/interviews/{interview_id}/answers/{answer_id}/comments")
async def comment(
    request: Request,
    session: SessionDep,
    ctx: CoachDep,
    partner_id: str,
    interview_id: str,
    answer_id: str,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    answer, interview, user = await practice.answer_in_tenant(session, ctx.view_tenant, answer_id)
    if user.partner_id != partner_id or str(interview.id) != interview_id:
        raise NotFound(code="answer_not_found")
    try:
        made = await practice.add_comment(
            session, ctx.view_tenant, interview, answer, body=body,
            author_name=ctx.admin.name or ctx.admin.email, author_admin_id=ctx.admin.id,
        )  # fmt: skip
    except ValidationFailed as exc:
        return await _render(
            request, session, ctx, user, interview, error=(str(answer.id), exc.detail, body)
        )
    await service.record(
        session, ctx.tenant, ctx.admin, service.ANSWER_COMMENTED, client=client_address(request),
        environment=ctx.view.value,
        details={"partner_id": user.partner_id, "interview_id": str(interview.id),
                 "answer_id": str(answer.id), "comment_id": str(made.id)},
    )  # fmt: skip
    student = user.first_name or "the student"
    flash.put(ctx, "notice", text=f"Comment saved: {student} sees it on their review page.")
    number = answer.question_index + 1
    return RedirectResponse(f"{interview_path(user, interview)}#answer-{number}", status_code=303)


@router.get("/admin/recordings/{answer_id}")
async def recording(
    request: Request,
    session: WriterSessionDep,
    ctx: CoachDep,
    answer_id: str,
    download: Annotated[bool, Query()] = False,
) -> Response:
    """The recording of an answer of a user in view, to admins and coaches, audited."""
    answer, interview, user = await practice.answer_in_tenant(session, ctx.view_tenant, answer_id)
    if answer.media_key is None:
        raise NotFound("This answer has no recording.", code="recording_not_found")
    reader = await playback.open_recording(request.app.state.storage, answer.media_key)
    try:
        await _audit_playback(request, session, ctx, user, interview, answer, download=download)
    except BaseException:
        reader.close()
        raise
    extension = answer.media_key.rsplit(".", 1)[-1]
    headers = {"cache-control": "private, no-store"}
    if download:
        name = f"{user.partner_id}-{interview.id}-q{answer.question_index + 1}.{extension}"
        headers["content-disposition"] = f'attachment; filename="{name}"'
    return await playback.respond(
        request, reader, answer.media_key, media_type=answer.media_type, headers=headers
    )


async def _audit_playback(
    request: Request,
    session: WriterSessionDep,
    ctx: CoachDep,
    user: User,
    interview: Interview,
    answer: Answer,
    *,
    download: bool,
) -> None:
    """Record a download, or a playback at its first request (see the module's docstring)."""
    starts = request.headers.get("range")
    from_start = starts is None or FIRST_RANGE.match(starts) is not None
    if download or (
        from_start
        and recent_playbacks.claim(ctx.admin.id, answer.id)
        and not await service.played_lately(
            session, ctx.tenant, ctx.admin, answer.id, SAME_PLAYBACK
        )
    ):
        await service.record(
            session, ctx.tenant, ctx.admin,
            service.RECORDING_DOWNLOADED if download else service.RECORDING_PLAYED,
            client=client_address(request), environment=ctx.view.value,
            details={"partner_id": user.partner_id, "interview_id": str(interview.id),
                     "answer_id": str(answer.id), "question": str(answer.question_index + 1)},
        )  # fmt: skip
