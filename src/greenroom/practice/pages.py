"""The practice app's pages under /members/ (server-rendered; forms CSRF-protected)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request, UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from greenroom.content import service as content
from greenroom.content.deps import PackDep
from greenroom.content.render import markdown_to_html
from greenroom.core.db import SessionDep
from greenroom.core.errors import NotFound
from greenroom.practice import playback, service
from greenroom.practice.members import MemberDep
from greenroom.practice.models import ANALYSIS_PENDING, Answer, Interview
from greenroom.progress import service as progress
from greenroom.speech.media import MediaRefused
from greenroom.sso.redeem import allowed_return_url
from greenroom.templating import render
from greenroom.tenancy.context import TenantDep
from greenroom.websessions import service as websessions

router = APIRouter(prefix="/members", include_in_schema=False)
Rating = Annotated[int | None, Form(ge=1, le=5)]
# "1" when the student chose "Answer again": the new answer replaces the one given.
Replace = Annotated[bool, Form()]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/dashboard")
async def dashboard(
    request: Request, member: MemberDep, session: SessionDep, tenant: TenantDep, pack: PackDep
) -> Response:
    row = await progress.row_for(session, member.user)
    interviews = await service.list_for_user(session, tenant, member.user, limit=5)
    return render(
        request,
        "members/dashboard.html",
        {
            "user": member.user,
            "progress": progress.to_public(member.user, row, pack),
            "sets": await content.sets_for(session, tenant.org, pack),
            "interviews": [service.interview_payload(i) for i in interviews],
        },
    )


@router.get("/modules/{module_slug}")
async def module_page(
    request: Request, module_slug: str, member: MemberDep, session: SessionDep, pack: PackDep
) -> Response:
    module = pack.module(module_slug)
    if module is None:
        raise NotFound()
    done = progress.completed_keys(await progress.row_for(session, member.user))
    return render(request, "members/module.html", {"module": module, "done": done})


@router.get("/modules/{module_slug}/lessons/{lesson_slug}")
async def lesson_page(
    request: Request,
    module_slug: str,
    lesson_slug: str,
    member: MemberDep,
    session: SessionDep,
    pack: PackDep,
) -> Response:
    lesson = pack.lesson(module_slug, lesson_slug)
    module = pack.module(module_slug)
    if lesson is None or module is None:
        raise NotFound()
    done = progress.completed_keys(await progress.row_for(session, member.user))
    keys = [item.key for item in module.lessons]
    position = keys.index(lesson.key)
    following = module.lessons[position + 1] if position + 1 < len(keys) else None
    return render(
        request,
        "members/lesson.html",
        {
            "module": module,
            "lesson": lesson,
            "body": markdown_to_html(lesson.markdown),
            "completed": lesson.key in done,
            "next_lesson": following,
        },
    )


@router.post("/modules/{module_slug}/lessons/{lesson_slug}/complete")
async def complete_lesson(
    module_slug: str,
    lesson_slug: str,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
) -> Response:
    lesson = pack.lesson(module_slug, lesson_slug)
    if lesson is None:
        raise NotFound()
    await progress.lesson_completed(session, tenant, member.user, pack, lesson.key)
    return _see_other(lesson.link)


@router.get("/practice/{set_slug}")
async def practice_start_page(
    request: Request,
    set_slug: str,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
) -> Response:
    qset = await content.get_set(session, tenant.org, pack, set_slug)
    return render(request, "members/practice_start.html", {"qset": qset})


@router.post("/practice/{set_slug}")
async def practice_start(
    set_slug: str, member: MemberDep, session: SessionDep, tenant: TenantDep, pack: PackDep
) -> Response:
    qset = await content.get_set(session, tenant.org, pack, set_slug)
    interview = await service.start(session, tenant, member.user, pack, qset)
    return _see_other(f"/members/interviews/{interview.id}/questions/1")


@router.get("/interviews")
async def interviews_page(
    request: Request,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    deleted: str | None = None,
) -> Response:
    items = await service.list_for_user(session, tenant, member.user, limit=200)
    return render(
        request,
        "members/interviews.html",
        {
            "interviews": [service.interview_payload(i) for i in items],
            "deleted": deleted is not None,
        },
    )


@router.get("/interviews/{interview_id}")
async def review_page(
    request: Request, interview_id: str, member: MemberDep, session: SessionDep, tenant: TenantDep
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    answers = await service.answers_of(session, interview)
    ratings = [a.rating for a in answers.values() if a.rating is not None]
    return render(
        request,
        "members/review.html",
        {
            "interview": interview,
            "answers": answers,
            "comments": await service.comments_of(session, interview),
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "pending": _pending(answers.values()),
        },
    )


def _in_words(seconds: int) -> str:
    """120 -> "2 minutes", 90 -> "1 minute 30 seconds", 45 -> "45 seconds"."""
    minutes, rest = divmod(seconds, 60)
    parts = [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []
    if rest or not minutes:
        parts.append(f"{rest} second{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _pending(answers: Iterable[Answer]) -> int:
    """How many of `answers` are recordings still being analysed."""
    return sum(1 for a in answers if a.analysis_status == ANALYSIS_PENDING)


@router.get("/interviews/{interview_id}/analysis")
async def analysis_status(
    interview_id: str, member: MemberDep, session: SessionDep, tenant: TenantDep
) -> Response:
    """How many of the interview's recorded answers are still being analysed (the review and
    question pages poll this, and reload once it is 0)."""
    interview = await service.get_own(session, tenant, member.user, interview_id)
    answers = await service.answers_of(session, interview)
    return JSONResponse({"pending": _pending(answers.values())})


@router.get("/interviews/{interview_id}/delete")
async def delete_interview_page(
    request: Request, interview_id: str, member: MemberDep, session: SessionDep, tenant: TenantDep
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    answers = await service.answers_of(session, interview)
    return render(
        request,
        "members/delete_interview.html",
        {"interview": interview, "answered": len(answers)},
    )


@router.post("/interviews/{interview_id}/delete")
async def delete_interview(
    request: Request,
    interview_id: str,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    await service.delete_interview(
        session, tenant, member.user, pack, interview, storage=request.app.state.storage
    )
    return _see_other("/members/interviews?deleted=1")


@router.get("/interviews/{interview_id}/retake")
async def retake_page(
    request: Request, interview_id: str, member: MemberDep, session: SessionDep, tenant: TenantDep
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    return render(request, "members/retake.html", {"interview": interview})


@router.post("/interviews/{interview_id}/retake")
async def retake(
    interview_id: str, member: MemberDep, session: SessionDep, tenant: TenantDep, pack: PackDep
) -> Response:
    old = await service.get_own(session, tenant, member.user, interview_id)
    new = await service.retake(session, tenant, member.user, pack, old)
    return _see_other(f"/members/interviews/{new.id}/questions/1")


@router.get("/interviews/{interview_id}/questions/{number}")
async def question_page(
    request: Request,
    interview_id: str,
    number: int,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    again: str | None = None,
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    if not 1 <= number <= len(interview.questions):
        raise NotFound()
    return await _question_page(request, session, interview, number, again=again is not None)


async def _question_page(
    request: Request,
    session: SessionDep,
    interview: Interview,
    number: int,
    *,
    again: bool = False,
    upload_error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The interview moment: the question, and either the answer given (with "Answer again")
    or the ways to answer it (`again`: to replace the answer given)."""
    answers = await service.answers_of(session, interview)
    answer = answers.get(number - 1)
    return render(
        request,
        "members/question.html",
        {
            "interview": interview,
            "number": number,
            "question": interview.questions[number - 1],
            "answer": answer,
            "answering": answer is None or again or upload_error is not None,
            "replace": answer is not None,
            "answered_count": len(answers),
            "total": len(interview.questions),
            "upload_error": upload_error,
            "pending": _pending(answers.values()),
            "limit_words": _in_words(interview.answer_seconds),
        },
        status_code=status_code,
    )


def _after_answer(interview_id: str, number: int) -> RedirectResponse:
    return _see_other(f"/members/interviews/{interview_id}/questions/{number}")


@router.post("/interviews/{interview_id}/questions/{number}/text")
async def answer_text(
    request: Request,
    interview_id: str,
    number: int,
    text: Annotated[str, Form(max_length=service.MAX_TEXT)],
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
    rating: Rating = None,
    replace: Replace = False,
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    await service.answer_text(
        session,
        tenant,
        member.user,
        pack,
        interview,
        number - 1,
        text=text,
        rating=rating,
        storage=request.app.state.storage,
        replace=replace,
    )
    return _after_answer(interview_id, number)


@router.post("/interviews/{interview_id}/questions/{number}/media")
async def answer_media(
    request: Request,
    interview_id: str,
    number: int,
    media: UploadFile,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
    background: BackgroundTasks,
    rating: Rating = None,
    replace: Replace = False,
) -> Response:
    """A recording made in the browser (sent by fetch) or an uploaded file (a plain form).

    Its analysis starts in this process once the response is sent. A file that is not a
    recording gets the question page again, saying why (a browser's form), or problem+json
    with the same sentence (the recorder's fetch, which shows it).
    """
    settings = request.app.state.settings
    interview = await service.get_own(session, tenant, member.user, interview_id)
    data = await media.read(settings.upload_max_bytes + 1)
    try:
        _, job_id = await service.answer_media(
            session,
            tenant,
            member.user,
            pack,
            interview,
            number - 1,
            data=data,
            rating=rating,
            storage=request.app.state.storage,
            max_bytes=settings.upload_max_bytes,
            replace=replace,
        )
    except MediaRefused as refused:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        if not 1 <= number <= len(interview.questions):
            raise NotFound() from refused
        return await _question_page(
            request,
            session,
            interview,
            number,
            upload_error=refused.detail,
            status_code=refused.status,
        )
    background.add_task(request.app.state.jobs.run_now, job_id)
    return _after_answer(interview_id, number)


@router.get("/interviews/{interview_id}/questions/{number}/delete")
async def delete_answer_page(
    request: Request,
    interview_id: str,
    number: int,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    if not 1 <= number <= len(interview.questions):
        raise NotFound()
    answer = (await service.answers_of(session, interview)).get(number - 1)
    if answer is None:
        return _after_answer(interview_id, number)
    return render(
        request,
        "members/delete_answer.html",
        {
            "interview": interview,
            "number": number,
            "question": interview.questions[number - 1],
            "answer": answer,
        },
    )


@router.post("/interviews/{interview_id}/questions/{number}/delete")
async def delete_answer(
    request: Request,
    interview_id: str,
    number: int,
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    await service.delete_answer(
        session,
        tenant,
        member.user,
        pack,
        interview,
        number - 1,
        storage=request.app.state.storage,
    )
    return _after_answer(interview_id, number)


@router.get("/recordings/{answer_id}")
async def recording(
    request: Request, answer_id: str, member: MemberDep, session: SessionDep
) -> Response:
    """A recording, to its owner only (another user's is a 404)."""
    answer = await service.own_answer(session, member.user, answer_id)
    assert answer.media_key is not None
    reader = await playback.open_recording(request.app.state.storage, answer.media_key)
    return await playback.respond(
        request,
        reader,
        answer.media_key,
        media_type=answer.media_type,
        headers={"cache-control": "private, no-store"},
    )


@router.post("/logout")
async def logout(
    request: Request, member: MemberDep, session: SessionDep, tenant: TenantDep
) -> Response:
    settings = request.app.state.settings
    stored = member.web_session.data.get("return_url")
    target = allowed_return_url(tenant.org, stored if isinstance(stored, str) else None)
    await websessions.end(session, settings, member.token)
    response: Response = (
        _see_other(target)
        if target
        else render(request, "members/signed_out.html", {"org_name": tenant.org.name})
    )
    websessions.clear_cookie(response, settings, "member")
    return response
