"""The practice app's pages under /members/ (server-rendered; forms CSRF-protected)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from starlette.responses import FileResponse, RedirectResponse, Response

from greenroom.content import service as content
from greenroom.content.deps import PackDep
from greenroom.content.render import markdown_to_html
from greenroom.core.db import SessionDep
from greenroom.core.errors import NotFound
from greenroom.practice import service
from greenroom.practice.members import MemberDep
from greenroom.progress import service as progress
from greenroom.sso.redeem import allowed_return_url
from greenroom.templating import render
from greenroom.tenancy.context import TenantDep
from greenroom.websessions import service as websessions

router = APIRouter(prefix="/members", include_in_schema=False)
Rating = Annotated[int | None, Form(ge=1, le=5)]


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
    request: Request, member: MemberDep, session: SessionDep, tenant: TenantDep
) -> Response:
    items = await service.list_for_user(session, tenant, member.user, limit=200)
    return render(
        request,
        "members/interviews.html",
        {"interviews": [service.interview_payload(i) for i in items]},
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
        },
    )


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
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    if not 1 <= number <= len(interview.questions):
        raise NotFound()
    answers = await service.answers_of(session, interview)
    return render(
        request,
        "members/question.html",
        {
            "interview": interview,
            "number": number,
            "question": interview.questions[number - 1],
            "answer": answers.get(number - 1),
            "total": len(interview.questions),
        },
    )


def _after_answer(interview_id: str, number: int) -> RedirectResponse:
    return _see_other(f"/members/interviews/{interview_id}/questions/{number}")


@router.post("/interviews/{interview_id}/questions/{number}/text")
async def answer_text(
    interview_id: str,
    number: int,
    text: Annotated[str, Form(max_length=service.MAX_TEXT)],
    member: MemberDep,
    session: SessionDep,
    tenant: TenantDep,
    pack: PackDep,
    rating: Rating = None,
) -> Response:
    interview = await service.get_own(session, tenant, member.user, interview_id)
    await service.answer_text(
        session, tenant, member.user, pack, interview, number - 1, text=text, rating=rating
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
    rating: Rating = None,
) -> Response:
    """A recording made in the browser (sent by fetch) or an uploaded file (a plain form)."""
    settings = request.app.state.settings
    interview = await service.get_own(session, tenant, member.user, interview_id)
    data = await media.read(settings.upload_max_bytes + 1)
    await service.answer_media(
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
        declared_type=media.content_type,
    )
    return _after_answer(interview_id, number)


@router.get("/recordings/{answer_id}")
async def recording(
    request: Request, answer_id: str, member: MemberDep, session: SessionDep
) -> Response:
    """A recording, to its owner only (another user's is a 404)."""
    answer = await service.own_answer(session, member.user, answer_id)
    assert answer.media_key is not None
    path = request.app.state.storage.path(answer.media_key)
    if not path.exists():
        raise NotFound()
    return FileResponse(
        path, media_type=answer.media_type, headers={"cache-control": "private, no-store"}
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
