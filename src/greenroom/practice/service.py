"""Practice interviews: start, answer one question at a time, complete, review, retake.

An answer cannot be replaced (retake the interview instead), so every count in progress moves
exactly once per answer. The interview completes when its last question is answered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import filetype
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import Pack, QuestionSet
from greenroom.core import clock
from greenroom.core.direct import Direct, fields
from greenroom.core.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
)
from greenroom.core.events import publish
from greenroom.core.pagination import (
    Page,
    decode_position,
    next_page,
)
from greenroom.core.responses import iso
from greenroom.practice import feedback, repository
from greenroom.practice.models import Answer, AnswerComment, Interview
from greenroom.practice.storage import Storage, is_disk_full, user_folder
from greenroom.progress import service as progress
from greenroom.tenancy.context import Tenant
from greenroom.users import repository as users
from greenroom.users.models import User
from greenroom.users.service import UserNotFound

log = logging.getLogger("greenroom.practice")
MAX_TEXT = 10_000
MAX_COMMENT = 4_000
STORAGE_FULL_RETRY_AFTER = 300


class RecordingStorageFull(ServiceUnavailable):
    """The disk (or quota) holding recordings is full: nothing was saved (docs/operations.md)."""

    code = "insufficient_storage"
    default_detail = (
        "Your recording could not be saved: the server has no room for it right now. Nothing "
        "was saved; try again later, or answer this question in writing."
    )


# Sniffed MIME type -> file extension we store under.
MEDIA_TYPES = {
    "video/webm": "webm", "audio/webm": "webm", "audio/ogg": "ogg", "video/mp4": "mp4",
    "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/mpeg": "mp3", "audio/x-wav": "wav",
    "audio/wav": "wav", "video/quicktime": "mov",
}  # fmt: skip


def interview_payload(interview: Interview | Mapping[str, Any]) -> dict[str, Any]:
    """The public interview object, from an `Interview` or a row of
    `repository.INTERVIEW_COLUMNS`."""
    get = fields(interview)
    number = get("number")
    return {
        "id": number,
        "title": get("title"),
        "interviewer_name": get("interviewer_name"),
        "category": get("category"),
        "completed": get("completed_at") is not None,
        "created_at": iso(get("created_at")),
        "updated_at": iso(get("updated_at")),
        "links": {
            "review": f"/members/interviews/{number}",
            "retake": f"/members/interviews/{number}/retake",
        },
    }


async def read_for_partner(
    direct: Direct, tenant: Tenant, partner_id: str, page: Page | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The user's interviews as public objects, and the next cursor; 404 for a user that is not
    (or no longer) there. `page` None: every interview, as Big Interview answers (no cursor)."""
    after = decode_position(page.cursor) if page is not None and page.cursor else None
    now = clock.now()
    if page is None:
        rows = await repository.read_all(direct, tenant, partner_id, now)
    else:
        rows = await repository.read_page(
            direct, tenant, partner_id, now, limit=page.limit + 1, after=after
        )
    # No rows: a user without interviews, or no such user (a second look, only then).
    if not rows and await users.read_active(direct, tenant, partner_id, now) is None:
        raise UserNotFound()
    if page is None:
        return [interview_payload(row) for row in rows], None
    items, cursor = next_page(rows, page.limit, lambda row: (row["updated_at"], row["id"]))
    return [interview_payload(row) for row in items], cursor


async def start(
    session: AsyncSession, tenant: Tenant, user: User, pack: Pack, qset: QuestionSet
) -> Interview:
    return await _create(
        session,
        tenant,
        user,
        pack,
        set_slug=qset.slug,
        title=qset.title,
        category=qset.category,
        interviewer_name=qset.interviewer_name,
        questions=[{"prompt": q.prompt, "tips": list(q.tips)} for q in qset.questions],
    )


async def retake(
    session: AsyncSession, tenant: Tenant, user: User, pack: Pack, old: Interview
) -> Interview:
    """A new interview with the same questions as `old`."""
    return await _create(
        session,
        tenant,
        user,
        pack,
        set_slug=old.set_slug,
        title=old.title,
        category=old.category,
        interviewer_name=old.interviewer_name,
        questions=list(old.questions),
    )


async def _create(
    session: AsyncSession, tenant: Tenant, user: User, pack: Pack, **fields: Any
) -> Interview:
    now = clock.now()
    interview = Interview(
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        number=await repository.next_interview_number(session, tenant.org_id),
        user_id=user.id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(interview)
    await session.flush()
    await progress.interview_started(session, tenant, user, pack)
    await publish(session, tenant, "interview.created", _event(user, interview))
    return interview


def _event(user: User, interview: Interview) -> dict[str, Any]:
    return {"interview": {**interview_payload(interview), "partner_id": user.partner_id}}


async def get_own(
    session: AsyncSession, tenant: Tenant, user: User, interview_id: str
) -> Interview:
    """The user's own interview by its UUID or its public number (the API's `id`, in the
    links it hands out), or 404 (another user's, org's or environment's included)."""
    if interview_id.isascii() and interview_id.isdigit() and len(interview_id) <= 18:
        which = Interview.number == int(interview_id)
    else:
        try:
            which = Interview.id == uuid.UUID(interview_id)
        except ValueError as exc:
            raise NotFound(code="interview_not_found") from exc
    result = await session.execute(
        select(Interview).where(
            which,
            Interview.user_id == user.id,
            Interview.org_id == tenant.org_id,
            Interview.environment == tenant.environment.value,
        )
    )
    interview = result.scalar_one_or_none()
    if interview is None:
        raise NotFound(code="interview_not_found")
    return interview


async def answers_of(session: AsyncSession, interview: Interview) -> dict[int, Answer]:
    result = await session.execute(select(Answer).where(Answer.interview_id == interview.id))
    return {a.question_index: a for a in result.scalars()}


async def own_answer(session: AsyncSession, user: User, answer_id: str) -> Answer:
    try:
        wanted = uuid.UUID(answer_id)
    except ValueError as exc:
        raise NotFound() from exc
    result = await session.execute(
        select(Answer).where(Answer.id == wanted, Answer.user_id == user.id)
    )
    answer = result.scalar_one_or_none()
    if answer is None or answer.media_key is None:
        raise NotFound()
    return answer


def _check_rating(rating: int | None) -> None:
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationFailed(errors=[{"field": "rating", "message": "1 to 5"}])


async def answer_text(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    interview: Interview,
    index: int,
    *,
    text: str,
    rating: int | None,
) -> Answer:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(errors=[{"field": "text", "message": f"1 to {MAX_TEXT} characters"}])
    _check_rating(rating)
    answer = Answer(kind="text", text=text, rating=rating, feedback=feedback.analyse(text))
    return await _save(session, tenant, user, pack, interview, index, answer)


async def answer_media(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    interview: Interview,
    index: int,
    *,
    data: bytes,
    rating: int | None,
    storage: Storage,
    max_bytes: int,
    declared_type: str | None = None,
) -> Answer:
    """A recording or an uploaded file: its type is sniffed from the bytes, not trusted.

    WebM and Ogg look the same with or without video; the declared type only decides between
    `audio/` and `video/` of the sniffed container (so the review page picks the right player).
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Recordings are limited to {max_bytes} bytes.")
    kind = filetype.guess(data) if data else None
    mime = kind.mime if kind else None
    if mime not in MEDIA_TYPES:
        raise ValidationFailed(
            "Upload an audio or video file (WebM, Ogg, MP4, M4A, MP3, WAV, MOV).",
            errors=[{"field": "media", "message": "not an audio or video file"}],
        )
    _check_rating(rating)
    _question(interview, index)
    await _refuse_answered(session, interview, index)
    extension = MEDIA_TYPES[mime]
    subtype = mime.split("/", 1)[1]
    if (declared_type or "").split(";")[0].strip().lower() == f"audio/{subtype}":
        mime = f"audio/{subtype}"
    folder = user_folder(tenant.org_id, tenant.environment.value, user.partner_id)
    try:
        key = storage.save(folder, extension, data)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        # The answer's transaction rolls back with this: no answer without its recording.
        log.error(
            "recordings storage full: upload refused",
            extra={
                "errno": exc.errno,
                "error": exc.strerror,
                "bytes": len(data),
                "storage": str(getattr(storage, "root", "")),
            },
        )
        raise RecordingStorageFull(headers={"Retry-After": str(STORAGE_FULL_RETRY_AFTER)}) from None
    answer = Answer(kind="recording", media_key=key, media_type=mime, rating=rating)
    return await _save(session, tenant, user, pack, interview, index, answer)


def _question(interview: Interview, index: int) -> dict[str, Any]:
    if not 0 <= index < len(interview.questions):
        raise NotFound(code="question_not_found")
    question: dict[str, Any] = interview.questions[index]
    return question


async def _refuse_answered(session: AsyncSession, interview: Interview, index: int) -> None:
    if index in await answers_of(session, interview):
        raise Conflict(
            "This question has an answer; retake the interview to answer again.",
            code="already_answered",
        )


async def _save(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    interview: Interview,
    index: int,
    answer: Answer,
) -> Answer:
    _question(interview, index)
    await _refuse_answered(session, interview, index)
    now = clock.now()
    answer.interview_id, answer.user_id = interview.id, user.id
    answer.question_index, answer.created_at = index, now
    session.add(answer)
    await session.flush()
    answered = len(await answers_of(session, interview))
    completes = interview.completed_at is None and answered == len(interview.questions)
    if completes:
        interview.completed_at = now
    interview.updated_at = now
    await session.flush()
    await progress.answer_saved(
        session, tenant, user, pack, rating=answer.rating, completed_interview=completes
    )
    await publish(session, tenant, "interview.updated", _event(user, interview))
    return answer


async def list_for_user(
    session: AsyncSession, tenant: Tenant, user: User, *, limit: int
) -> list[Interview]:
    """The user's latest `limit` interviews, most recently updated first (pages of the app;
    the API pages through `read_for_partner`)."""
    query = (
        select(Interview)
        .where(
            Interview.user_id == user.id,
            Interview.org_id == tenant.org_id,
            Interview.environment == tenant.environment.value,
        )
        .order_by(Interview.updated_at.desc(), Interview.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


# --- coaching: answers seen by the org's staff, and their comments -------------------------------


async def answer_in_tenant(
    session: AsyncSession, tenant: Tenant, answer_id: str
) -> tuple[Answer, Interview, User]:
    """An answer of the tenant's users (org and environment) with its interview and user, or
    404: another org's or environment's answer is not found."""
    try:
        wanted = uuid.UUID(answer_id)
    except ValueError as exc:
        raise NotFound(code="answer_not_found") from exc
    found = (
        await session.execute(
            select(Answer, Interview, User)
            .join(Interview, Interview.id == Answer.interview_id)
            .join(User, User.id == Answer.user_id)
            .where(
                Answer.id == wanted,
                Interview.org_id == tenant.org_id,
                Interview.environment == tenant.environment.value,
                User.org_id == tenant.org_id,
            )
        )
    ).first()
    if found is None:
        raise NotFound(code="answer_not_found")
    answer, interview, user = found
    return answer, interview, user


async def comments_of(
    session: AsyncSession, interview: Interview
) -> dict[uuid.UUID, list[AnswerComment]]:
    """The comments on the interview's answers, oldest first, by answer id."""
    result = await session.execute(
        select(AnswerComment)
        .where(AnswerComment.interview_id == interview.id)
        .order_by(AnswerComment.created_at, AnswerComment.id)
    )
    comments: dict[uuid.UUID, list[AnswerComment]] = {}
    for comment in result.scalars():
        comments.setdefault(comment.answer_id, []).append(comment)
    return comments


async def add_comment(
    session: AsyncSession,
    tenant: Tenant,
    interview: Interview,
    answer: Answer,
    *,
    body: str,
    author_name: str,
    author_admin_id: uuid.UUID | None,
) -> AnswerComment:
    """A comment on an answer (1 to MAX_COMMENT characters), which the student sees on the
    interview's review page."""
    body = body.strip()
    if not body or len(body) > MAX_COMMENT:
        raise ValidationFailed(
            f"A comment has 1 to {MAX_COMMENT} characters.",
            errors=[{"field": "body", "message": f"1 to {MAX_COMMENT} characters"}],
        )
    if answer.interview_id != interview.id or interview.org_id != tenant.org_id:
        raise NotFound(code="answer_not_found")
    comment = AnswerComment(
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        interview_id=interview.id,
        answer_id=answer.id,
        user_id=answer.user_id,
        author_admin_id=author_admin_id,
        author_name=author_name[:200],
        body=body,
        created_at=clock.now(),
    )
    session.add(comment)
    await session.flush()
    return comment
