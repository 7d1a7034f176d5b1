"""Exports of a user's data (GDPR access and portability): asking for one, reading its state,
handing out its file, and what its job (`exports.tasks`) records.

An export is a row (`UserExport`) and, once `ready`, a ZIP in the exports storage
(`{data_dir}/exports/<user folder>/<export id>.zip`). The ZIP and its download live 24 hours
after it became ready (`LIFETIME`); then the sweep deletes the file and marks the row expired.
Erasing the user deletes the rows (cascade) and the folder (after the commit, as recordings).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import FileResponse

from greenroom import jobs
from greenroom.content.loader import Pack
from greenroom.core import clock, events
from greenroom.core.errors import Conflict, NotFound
from greenroom.core.responses import iso
from greenroom.core.tenant import Tenant
from greenroom.exports import repository
from greenroom.exports.models import EXPIRED, FAILED, PENDING, READY, RUNNING, UserExport
from greenroom.practice.cleanup import delete_after_commit
from greenroom.practice.service import answer_payload, interview_payload
from greenroom.practice.storage import Storage, user_folder
from greenroom.progress import service as progress
from greenroom.tenancy.context import OrgSnapshot
from greenroom.tenancy.hosts import Environment
from greenroom.users.models import User
from greenroom.users.service import public_user

KIND = "user.export"
ATTEMPTS = 3
LIFETIME = timedelta(hours=24)
# Expired rows (no file any more) are kept this long, so that asking about one says "expired".
KEEP_EXPIRED = timedelta(days=30)
FORMAT_VERSION = 1
README = """\
Greenroom: the data we hold about one student.

user.json      the student, their progress, and every practice interview with its questions
               and answers: typed text, ratings, transcripts of recordings, spoken feedback,
               and the comments coaches wrote on the answers.
recordings/    the recorded answers as they were stored (WebM, MP4, ...), named
               interview-<id>-question-<number>; user.json names each answer's file.

Times are UTC (ISO 8601).
"""


class ExportNotFound(NotFound):
    code = "export_not_found"
    default_detail = "The user has no such export."


class ExportExpired(NotFound):
    code = "export_expired"
    default_detail = "This export has expired: its file is deleted 24 hours after it was ready. Ask for a new one."


class ExportNotReady(Conflict):
    code = "export_not_ready"
    default_detail = "This export is not ready; its state says why."


def download_path(partner_id: str, export_id: uuid.UUID) -> str:
    return f"/api/users/{partner_id}/exports/{export_id}/download"


def state_of(export: UserExport) -> str:
    """The state a reader sees: `expired` as soon as the time is up (the sweep deletes the file
    a little later)."""
    if export.state == EXPIRED or export.expires_at <= clock.now():
        return EXPIRED
    return export.state


def public_export(export: UserExport, partner_id: str) -> dict[str, Any]:
    """The export object of docs/partner-api.md, Exports (`schemas.ExportOut`)."""
    state = state_of(export)
    return {
        "id": str(export.id),
        "partner_id": partner_id,
        "state": state,
        "created_at": iso(export.created_at),
        "ready_at": iso(export.ready_at),
        "expires_at": iso(export.expires_at),
        "size_bytes": export.size_bytes if state == READY else None,
        "download_url": download_path(partner_id, export.id) if state == READY else None,
        "error": export.error if state == FAILED else None,
    }


async def start(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, *, requested_by: str
) -> tuple[UserExport, uuid.UUID | None]:
    """A new export of the user `user_id` (of the tenant, kept from deletion by the caller) and
    its job's id; while one is pending or running, that one (and no job id: nothing to run)."""
    running = await repository.in_progress(session, tenant, user_id)
    if running is not None and state_of(running) != EXPIRED:
        return running, None
    now = clock.now()
    export = UserExport(
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        user_id=user_id,
        state=PENDING,
        requested_by=requested_by[:200],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(export)
    await session.flush()
    job_id = await jobs.enqueue(
        session,
        KIND,
        {"export_id": str(export.id)},
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        max_attempts=ATTEMPTS,
    )
    return export, job_id


def _export_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ExportNotFound() from exc


async def get(session: AsyncSession, tenant: Tenant, user: User, export_id: str) -> UserExport:
    """The user's export in the tenant, or 404 `export_not_found` (another org's too)."""
    export = await repository.get(session, tenant, user.id, _export_id(export_id))
    if export is None:
        raise ExportNotFound()
    return export


async def file_of(
    session: AsyncSession, tenant: Tenant, user: User, export_id: str, storage: Storage
) -> tuple[UserExport, Path]:
    """The ready export's ZIP on disk; 404 `export_expired` past its 24 hours, 409
    `export_not_ready` before it is ready (or when it failed)."""
    export = await get(session, tenant, user, export_id)
    state = state_of(export)
    if state == EXPIRED:
        raise ExportExpired()
    if state != READY or export.file_key is None:
        raise ExportNotReady(f"This export is {state}; download it once its state is ready.")
    path = storage.path(export.file_key)
    if not path.is_file():
        raise ExportExpired("This export's file is gone. Ask for a new one.")
    return export, path


def download(user: User, export: UserExport, path: Path) -> FileResponse:
    """The ZIP as the API and the admin area hand it out: named after the user and the day."""
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{user.partner_id}-export-{export.created_at:%Y%m%d}.zip",
        headers={"cache-control": "private, no-store"},
    )


async def recent(
    session: AsyncSession, tenant: Tenant, user: User, *, limit: int = 5
) -> list[UserExport]:
    return await repository.recent(session, tenant, user.id, limit=limit)


# --- the job's side ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What the job writes: the file's key, the recordings (name in the ZIP, storage key), and
    the JSON document (`user.json`) without the list of recordings found missing."""

    key: str
    media: list[tuple[str, str]]
    document: dict[str, Any]

    def documents(self, missing: list[str]) -> dict[str, Any]:
        document = {
            **self.document,
            "export": {**self.document["export"], "recordings_missing": missing},
        }
        return {"user.json": document, "README.txt": README}


async def plan(session: AsyncSession, export_id: uuid.UUID, pack: Pack) -> Plan | None:
    """Mark the export running and read everything it holds; None when there is nothing to do
    (gone with its user, already ready, failed or expired: the job may run again)."""
    export = await repository.by_id(session, export_id)
    if export is None or export.state not in (PENDING, RUNNING) or state_of(export) == EXPIRED:
        return None
    found = await repository.owner(session, export)
    if found is None:
        return None
    _org, user = found
    export.state = RUNNING
    interviews = await repository.interviews_of(session, export)
    answers = await repository.answers_of(session, export, [i.id for i in interviews])
    comments: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for comment in await repository.comments_of(session, export):
        comments.setdefault(comment.answer_id, []).append(
            {
                "author": comment.author_name,
                "body": comment.body,
                "created_at": iso(comment.created_at),
            }
        )
    by_interview: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in answers:
        by_interview.setdefault(row["interview_id"], []).append(row)
    media: list[tuple[str, str]] = []
    items = []
    for interview in interviews:
        questions: Sequence[dict[str, Any]] = interview.questions
        listed = []
        for row in by_interview.get(interview.id, []):
            answer = answer_payload(questions, row)
            if row["media_key"] and answer["recording"] is not None:
                extension = row["media_key"].rsplit(".", 1)[-1]
                name = (
                    f"recordings/interview-{interview.number}-question-"
                    f"{row['question_index'] + 1}.{extension}"
                )
                answer["recording"] = {
                    **answer["recording"],
                    "file": name,
                    "media_type": row["media_type"],
                }
                media.append((name, row["media_key"]))
            answer["comments"] = comments.get(row["id"], [])
            listed.append(answer)
        items.append(
            {
                **interview_payload(interview),
                "answer_time_limit_seconds": interview.answer_seconds,
                "questions": [
                    {"number": number, "prompt": q["prompt"], "tips": list(q.get("tips") or [])}
                    for number, q in enumerate(questions, start=1)
                ],
                "answers": listed,
            }
        )
    progress_row = await progress.row_for(session, user)
    document = {
        "export": {
            "id": str(export.id),
            "format_version": FORMAT_VERSION,
            "created_at": iso(export.created_at),
            "environment": export.environment,
        },
        "user": public_user(user),
        "progress": progress.to_public(user, progress_row, pack),
        "interviews": items,
    }
    folder = user_folder(export.org_id, export.environment, user.partner_id)
    return Plan(key=f"{folder}/{export.id.hex}.zip", media=media, document=document)


async def gone(session: AsyncSession, export_id: uuid.UUID) -> bool:
    """Whether the export no longer exists (its user was erased, and it with them)."""
    return await repository.by_id(session, export_id) is None


async def finish(session: AsyncSession, export_id: uuid.UUID, key: str, size: int) -> bool:
    """Record the export as ready (24 hours from now) and publish `user.exported`; False when
    the export (or its user) went meanwhile, or is no longer running: the caller deletes the
    file it wrote unless the export is ready with it."""
    export = await repository.by_id(session, export_id)
    if export is None or export.state != RUNNING:
        return export is not None and export.state == READY and export.file_key == key
    found = await repository.owner(session, export)
    if found is None:
        return False
    org, user = found
    now = clock.now()
    export.state = READY
    export.ready_at = now
    export.expires_at = now + LIFETIME
    export.file_key = key
    export.size_bytes = size
    tenant = Tenant(OrgSnapshot.of(org), Environment(export.environment))
    await session.flush()
    await events.publish(
        session, tenant, "user.exported", {"export": public_export(export, user.partner_id)}
    )
    return True


async def fail(session: AsyncSession, export_id: uuid.UUID, error: str) -> None:
    """The job gave up: the export says so (asking again starts a new one)."""
    export = await repository.by_id(session, export_id)
    if export is not None and export.state in (PENDING, RUNNING):
        export.state = FAILED
        export.error = error[:500]


async def expire(session: AsyncSession, storage: Storage, *, limit: int) -> int:
    """Mark up to `limit` exports past their time expired and delete their files once this
    transaction commits; forget rows expired over `KEEP_EXPIRED` ago. How many expired."""
    now = clock.now()
    found = await repository.past_expiry(session, now, limit=limit)
    for export in found:
        if export.file_key is not None:
            delete_after_commit(session, storage, export.file_key)
        export.state = EXPIRED
        export.file_key = None
    await repository.forget_expired(session, now - KEEP_EXPIRED)
    return len(found)
