"""Practice interviews: start, answer one question at a time, complete, review, retake, delete.

An answer is given once per question; giving it again needs `replace` (the student chose
"Answer again"): the earlier answer, its recording and what it counted in progress go, the new
one counts instead. Every change of answers takes the user's progress lock first and then reads
the answers it changes, so progress stays exact under concurrent changes. The interview
completes when its last question is answered, and is in progress again when an answer of it is
deleted.

A recording is checked and remuxed on upload (`speech.media`, in a thread: it is quick), stored,
and analysed by the `transcription` job (practice/transcription.py), whose result
`record_analysis` writes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import filetype
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom import jobs
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
from greenroom.practice.cleanup import delete_after_commit, delete_unless_committed
from greenroom.practice.models import (
    ANALYSIS_DONE,
    ANALYSIS_FAILED,
    ANALYSIS_PENDING,
    Answer,
    AnswerComment,
    Interview,
)
from greenroom.practice.storage import Storage, is_disk_full, user_folder
from greenroom.progress import service as progress
from greenroom.progress.service import AnswerCounts
from greenroom.speech.media import MediaRefused, remux
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
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


# Sniffed MIME type -> the extension of the upload, handed to FFmpeg (speech.media): only these
# containers reach its demuxers. What is stored is the remuxed file (WebM or MP4).
MEDIA_TYPES = {
    "video/webm": "webm", "audio/webm": "webm", "audio/ogg": "ogg", "video/mp4": "mp4",
    "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/mpeg": "mp3", "audio/x-wav": "wav",
    "audio/wav": "wav", "video/quicktime": "mov", "video/x-matroska": "mkv",
    "audio/x-flac": "flac", "audio/aac": "aac",
}  # fmt: skip
NOT_A_RECORDING = (
    "This file is not an audio or video recording we can play. Record again, or upload a "
    "video or audio file (WebM, MP4, MOV, M4A, MP3, WAV, Ogg)."
)
# The background job that analyses a recorded answer (practice/transcription.py).
TRANSCRIPTION_JOB = "transcription"
TRANSCRIPTION_ATTEMPTS = 3


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


def answer_payload(
    questions: Sequence[Mapping[str, Any]], row: Mapping[str, Any]
) -> dict[str, Any]:
    """The public answer object (`GET /api/users/{partner_id}/interviews/{id}`), from a row of
    `repository.ANSWER_COLUMNS`: the recording's bytes stay private, only its kind and length
    are told, and whether the org's retention removed it (practice/retention.py)."""
    index = row["question_index"]
    media_type = row["media_type"]
    removed_at = row["media_removed_at"]
    transcript_removed_at = row["transcript_removed_at"]
    return {
        "question_number": index + 1,
        "question": questions[index]["prompt"] if index < len(questions) else None,
        "type": row["kind"],
        "text": row["text"],
        "rating": row["rating"],
        "created_at": iso(row["created_at"]),
        "recording": (
            None
            if media_type is None
            else {
                "media": media_type.split("/", 1)[0],
                "duration_seconds": (
                    None if row["duration_ms"] is None else row["duration_ms"] / 1000
                ),
                "removed_at": None if removed_at is None else iso(removed_at),
                "removed_after_days": None if removed_at is None else row["removed_after_days"],
            }
        ),
        "analysis_status": row["analysis_status"],
        "analysis_error": row["analysis_error"],
        "transcript": row["transcript"],
        "transcript_removed_at": (
            None if transcript_removed_at is None else iso(transcript_removed_at)
        ),
        "feedback": row["feedback"],
    }


async def read_one_for_partner(
    direct: Direct, tenant: Tenant, partner_id: str, interview_id: str
) -> dict[str, Any]:
    """One interview of the user with its questions and answers (feedback and transcripts);
    404 `interview_not_found`, or `user_not_found` when the user is not (or no longer) there."""
    now = clock.now()
    wanted: uuid.UUID | int | None
    if interview_id.isascii() and interview_id.isdigit() and len(interview_id) <= 9:
        wanted = int(interview_id)  # the `id` the list gives
    else:
        try:
            wanted = uuid.UUID(interview_id)  # as in the practice app's own links
        except ValueError:
            wanted = None
    found = None
    if wanted is not None:
        found = await repository.read_one(direct, tenant, partner_id, wanted, now)
    if found is None:
        if await users.read_active(direct, tenant, partner_id, now) is None:
            raise UserNotFound()
        raise NotFound("The user has no such interview.", code="interview_not_found")
    interview, answers = found
    questions: Sequence[Mapping[str, Any]] = interview["questions"]
    return {
        **interview_payload(interview),
        "answer_time_limit_seconds": interview["answer_seconds"],
        "questions": [
            {"number": number, "prompt": q["prompt"], "tips": list(q.get("tips") or [])}
            for number, q in enumerate(questions, start=1)
        ],
        "answers": [answer_payload(questions, row) for row in answers],
    }


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
        answer_seconds=qset.answer_seconds,
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
        answer_seconds=old.answer_seconds,
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
    ref: uuid.UUID | int
    if interview_id.isascii() and interview_id.isdigit() and len(interview_id) <= 18:
        ref = int(interview_id)
    else:
        try:
            ref = uuid.UUID(interview_id)
        except ValueError as exc:
            raise NotFound(code="interview_not_found") from exc
    interview = await repository.get_own(session, tenant, user.id, ref)
    if interview is None:
        raise NotFound(code="interview_not_found")
    return interview


async def answers_of(session: AsyncSession, interview: Interview) -> dict[int, Answer]:
    answers = await repository.answers_of(session, interview.id)
    return {a.question_index: a for a in answers}


async def own_answer(session: AsyncSession, user: User, answer_id: str) -> Answer:
    try:
        wanted = uuid.UUID(answer_id)
    except ValueError as exc:
        raise NotFound() from exc
    answer = await repository.get_own_answer(session, user.id, wanted)
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
    storage: Storage | None = None,
    replace: bool = False,
) -> Answer:
    """A typed answer, with its feedback. Replacing a recorded answer needs `storage`."""
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(errors=[{"field": "text", "message": f"1 to {MAX_TEXT} characters"}])
    _check_rating(rating)
    tips = _question(interview, index).get("tips") or []
    answer = Answer(kind="text", text=text, rating=rating, feedback=feedback.analyse(text, tips))
    return await _save(session, tenant, user, pack, interview, index, answer, storage, replace)


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
    replace: bool = False,
) -> tuple[Answer, uuid.UUID]:
    """A recording or an uploaded file, and the id of the job that analyses it.

    The container is sniffed from the bytes (only the formats of MEDIA_TYPES go further), then
    `speech.media` checks that it decodes and remuxes it, so that the stored file has a
    duration and seeks (browsers' live WebM has neither). Anything else is `MediaRefused`
    (415) with a sentence for the student. The stored file is removed again if the answer is
    not committed.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Recordings are limited to {max_bytes} bytes.")
    _check_rating(rating)
    _question(interview, index)
    if not replace:  # before the work (the check that counts is in `_save`)
        await _refuse_answered(session, interview, index)
    kind = filetype.guess(data) if data else None
    extension = MEDIA_TYPES.get(kind.mime) if kind else None
    if extension is None:
        raise MediaRefused(NOT_A_RECORDING)
    folder = user_folder(tenant.org_id, tenant.environment.value, user.partner_id)
    try:
        # PyAV works outside the GIL for most of a remux (measured: bench/speech_service.py).
        key, media_type, duration = await asyncio.to_thread(
            _store_recording, storage, folder, data, extension
        )
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
    delete_unless_committed(session, storage, key)
    answer = Answer(
        kind="recording",
        media_key=key,
        media_type=media_type,
        duration_ms=round(duration * 1000),
        rating=rating,
        analysis_status=ANALYSIS_PENDING,
    )
    answer = await _save(session, tenant, user, pack, interview, index, answer, storage, replace)
    job_id = await jobs.enqueue(
        session,
        TRANSCRIPTION_JOB,
        {"answer_id": str(answer.id)},
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        max_attempts=TRANSCRIPTION_ATTEMPTS,
    )
    return answer, job_id


def _store_recording(
    storage: Storage, folder: str, data: bytes, extension: str
) -> tuple[str, str, float]:
    """Blocking: the upload remuxed into the user's folder; (key, content type, seconds). A full
    disk raises `OSError` and leaves nothing (the scratch folder goes with what is in it)."""
    with storage.scratch() as work:
        upload = work / f"upload.{extension}"
        storage.write(upload, data)
        remuxed = remux(upload, work / "recording")
        return storage.import_file(folder, remuxed.path), remuxed.content_type, remuxed.duration


def _question(interview: Interview, index: int) -> dict[str, Any]:
    if not 0 <= index < len(interview.questions):
        raise NotFound(code="question_not_found")
    question: dict[str, Any] = interview.questions[index]
    return question


def _already_answered() -> Conflict:
    return Conflict(
        'This question has an answer; choose "Answer again" to replace it.',
        code="already_answered",
    )


async def _refuse_answered(session: AsyncSession, interview: Interview, index: int) -> None:
    if index in await answers_of(session, interview):
        raise _already_answered()


def counts_of(answer: Answer) -> AnswerCounts:
    """What `answer` counts in progress (all of it: taken away when it goes)."""
    return AnswerCounts(
        rating=answer.rating,
        recorded_ms=answer.duration_ms or 0,
        **_spoken_counts(answer.analysis_status, answer.feedback),
    )


def _spoken_counts(status: str | None, result: Mapping[str, Any] | None) -> dict[str, int]:
    """A spoken answer's words and time from first word to last, when its pace was measured."""
    if status != ANALYSIS_DONE or not result or result.get("words_per_minute") is None:
        return {"spoken_words": 0, "spoken_ms": 0}
    return {
        "spoken_words": int(result["words"]),
        "spoken_ms": round(float(result["answer_seconds"]) * 1000),
    }


async def _save(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    interview: Interview,
    index: int,
    answer: Answer,
    storage: Storage | None,
    replace: bool,
) -> Answer:
    _question(interview, index)
    await progress.lock(session, tenant, user)
    existing = await answers_of(session, interview)
    old = existing.get(index)
    if old is not None and not replace:
        raise _already_answered()
    removed = []
    if old is not None:
        removed.append(counts_of(old))
        if old.media_key is not None:
            assert storage is not None, "replacing a recorded answer needs the storage"
            delete_after_commit(session, storage, old.media_key)
        await session.delete(old)
        await session.flush()
    now = clock.now()
    answer.interview_id, answer.user_id = interview.id, user.id
    answer.question_index, answer.created_at = index, now
    session.add(answer)
    await session.flush()
    answered = len(existing) + (old is None)
    completes = interview.completed_at is None and answered == len(interview.questions)
    if completes:
        interview.completed_at = now
    interview.updated_at = now
    await session.flush()
    await progress.answers_changed(
        session,
        tenant,
        user,
        pack,
        added=[counts_of(answer)],
        removed=removed,
        interviews_completed=int(completes),
    )
    await publish(session, tenant, "interview.updated", _event(user, interview))
    return answer


async def delete_answer(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    interview: Interview,
    index: int,
    *,
    storage: Storage,
) -> None:
    """The student deletes one answer: its recording goes after the commit, progress no longer
    counts it, and a completed interview is in progress again."""
    _question(interview, index)
    await progress.lock(session, tenant, user)
    answer = (await answers_of(session, interview)).get(index)
    if answer is None:
        raise NotFound("This question has no answer.", code="answer_not_found")
    if answer.media_key is not None:
        delete_after_commit(session, storage, answer.media_key)
    uncompleted = interview.completed_at is not None
    await session.delete(answer)
    interview.completed_at = None
    interview.updated_at = clock.now()
    await session.flush()
    await progress.answers_changed(
        session,
        tenant,
        user,
        pack,
        removed=[counts_of(answer)],
        interviews_completed=-int(uncompleted),
    )
    await publish(session, tenant, "interview.updated", _event(user, interview))


async def delete_interview(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    interview: Interview,
    *,
    storage: Storage,
) -> None:
    """The student deletes a whole interview: its answers, their recordings (after the
    commit) and what they counted in progress go; `interview.deleted` is sent."""
    await progress.lock(session, tenant, user)
    answers = list((await answers_of(session, interview)).values())
    event = _event(user, interview)
    for answer in answers:
        if answer.media_key is not None:
            delete_after_commit(session, storage, answer.media_key)
    completed = interview.completed_at is not None
    await repository.delete_answers_of(session, interview.id)
    await session.delete(interview)
    await session.flush()
    await progress.answers_changed(
        session,
        tenant,
        user,
        pack,
        removed=[counts_of(answer) for answer in answers],
        interviews_started=-1,
        interviews_completed=-int(completed),
    )
    await publish(session, tenant, "interview.deleted", event)


# --- the analysis of a recorded answer (the `transcription` job) ---------------------------------


async def analysis_input(
    session: AsyncSession, answer_id: uuid.UUID
) -> tuple[str, list[str]] | None:
    """The recording's storage key and the question's tips of an answer waiting for its
    analysis; None when there is nothing to do (analysed already, replaced, deleted)."""
    row = await repository.pending_recording(session, answer_id)
    if row is None:
        return None
    media_key, index, questions = row
    if media_key is None:
        return None
    question: Mapping[str, Any] = questions[index] if index < len(questions) else {}
    return media_key, list(question.get("tips") or [])


async def record_analysis(
    session: AsyncSession,
    answer_id: uuid.UUID,
    pack: Pack,
    *,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Writes an answer's analysis (`result`: transcript and feedback, from `SpeechPool`), or
    that it failed (`error`, a sentence for the student), in one transaction with progress
    (the answer's words and time) and `interview.updated`. False, writing nothing, when the
    answer is no longer waiting (replaced, deleted, or written by an earlier run)."""
    found = await repository.answer_owner(session, answer_id)
    if found is None:
        return False
    user_id, org_id, environment = found
    user = await session.get(User, user_id)
    org = await session.get(Organization, org_id)
    if user is None or org is None:
        return False
    tenant = Tenant(OrgSnapshot.of(org), Environment(environment))
    await progress.lock(session, tenant, user)
    # Read again under the lock: a replace or delete may have committed since.
    answer = await repository.reread_answer(session, answer_id)
    if answer is None or answer.analysis_status != ANALYSIS_PENDING:
        return False
    interview = await session.get(Interview, answer.interview_id)
    assert interview is not None
    now = clock.now()
    if result is not None:
        answer.transcript = dict(result["transcript"])
        answer.feedback = dict(result["feedback"])
        answer.analysis_status = ANALYSIS_DONE
    else:
        answer.analysis_status = ANALYSIS_FAILED
        answer.analysis_error = (error or "We could not analyse this recording.")[:500]
    answer.analysed_at = now
    interview.updated_at = now
    await session.flush()
    spoken = _spoken_counts(answer.analysis_status, answer.feedback)
    if spoken["spoken_ms"]:
        await progress.answers_changed(
            session, tenant, user, pack, added=[AnswerCounts(answers=0, **spoken)]
        )
    await publish(session, tenant, "interview.updated", _event(user, interview))
    return True


async def list_for_user(
    session: AsyncSession, tenant: Tenant, user: User, *, limit: int
) -> list[Interview]:
    """The user's latest `limit` interviews, most recently updated first (pages of the app;
    the API pages through `read_for_partner`)."""
    return await repository.latest_of_user(session, tenant, user.id, limit=limit)


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
    found = await repository.answer_in_tenant(session, tenant, wanted)
    if found is None:
        raise NotFound(code="answer_not_found")
    return found


async def comments_of(
    session: AsyncSession, interview: Interview
) -> dict[uuid.UUID, list[AnswerComment]]:
    """The comments on the interview's answers, oldest first, by answer id."""
    comments: dict[uuid.UUID, list[AnswerComment]] = {}
    for comment in await repository.comments_of(session, interview.id):
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
