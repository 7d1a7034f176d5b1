"""Progress: one row per user, changed in the same transaction as the activity it counts.

Every activity locks the user's row first (SELECT ... FOR UPDATE on PostgreSQL; SQLite writers
are serialised by BEGIN IMMEDIATE), so concurrent activity of one user never loses a count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import Pack
from greenroom.core import clock
from greenroom.core.direct import Direct, Row, fields
from greenroom.core.events import publish
from greenroom.core.pagination import Page, decode_position, next_page, since_or_after
from greenroom.core.responses import iso
from greenroom.progress import repository
from greenroom.progress.models import UserProgress
from greenroom.tenancy.context import Tenant
from greenroom.users.models import User
from greenroom.users.service import UserNotFound


async def _locked_row(session: AsyncSession, tenant: Tenant, user: User) -> UserProgress:
    return await repository.locked_row(session, tenant, user.id, clock.now())


async def _changed(
    session: AsyncSession, tenant: Tenant, user: User, row: UserProgress, pack: Pack
) -> None:
    now = clock.now()
    row.last_activity_at = now
    row.updated_at = now
    user.last_activity_at = now
    await session.flush()
    await publish(session, tenant, "progress.updated", {"progress": to_public(user, row, pack)})


async def lesson_completed(
    session: AsyncSession, tenant: Tenant, user: User, pack: Pack, lesson_key: str
) -> bool:
    """Count a lesson once; False when it was already complete."""
    row = await _locked_row(session, tenant, user)
    if lesson_key in row.lessons_completed:
        return False
    row.lessons_completed = [*row.lessons_completed, lesson_key]
    await _changed(session, tenant, user, row, pack)
    return True


async def interview_started(session: AsyncSession, tenant: Tenant, user: User, pack: Pack) -> None:
    row = await _locked_row(session, tenant, user)
    row.interviews_started += 1
    await _changed(session, tenant, user, row, pack)


async def answer_saved(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    *,
    rating: int | None,
    completed_interview: bool,
) -> None:
    row = await _locked_row(session, tenant, user)
    row.answers_recorded += 1
    if rating is not None:
        row.rating_sum += rating
        row.rating_count += 1
    if completed_interview:
        row.interviews_completed += 1
    await _changed(session, tenant, user, row, pack)


@dataclass(frozen=True, slots=True)
class AnswerCounts:
    """What one answer adds to progress (and takes away when it is replaced or deleted):
    `answers` (1 for an answer, 0 for a later addition such as its analysis), its self-rating,
    its recording's length, and the words and time of a spoken answer whose pace was measured.
    """

    answers: int = 1
    rating: int | None = None
    recorded_ms: int = 0
    spoken_words: int = 0
    spoken_ms: int = 0


async def lock(session: AsyncSession, tenant: Tenant, user: User) -> None:
    """Take the user's progress lock before reading what a change will count (an answer being
    replaced, an interview being deleted), so that concurrent changes count exactly."""
    await _locked_row(session, tenant, user)


async def answers_changed(
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    pack: Pack,
    *,
    added: Iterable[AnswerCounts] = (),
    removed: Iterable[AnswerCounts] = (),
    interviews_started: int = 0,
    interviews_completed: int = 0,
) -> None:
    """Answers added, replaced, analysed or deleted, and interviews completed again or deleted
    (negative counts): one change of the user's row, in the caller's transaction."""
    row = await _locked_row(session, tenant, user)
    for counts, sign in [*((c, 1) for c in added), *((c, -1) for c in removed)]:
        row.answers_recorded += sign * counts.answers
        if counts.rating is not None:
            row.rating_sum += sign * counts.rating
            row.rating_count += sign
        row.recorded_ms += sign * counts.recorded_ms
        row.spoken_words += sign * counts.spoken_words
        row.spoken_ms += sign * counts.spoken_ms
    row.interviews_started += interviews_started
    row.interviews_completed += interviews_completed
    await _changed(session, tenant, user, row, pack)


def completed_keys(row: UserProgress | None) -> set[str]:
    return set(row.lessons_completed) if row else set()


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def _has_activity(row: UserProgress | Mapping[str, Any] | None) -> bool:
    """A progress row is there (an outer join's row has None progress columns without one)."""
    if isinstance(row, Mapping):
        return row["user_id"] is not None
    return row is not None


def to_public(
    user: User | Mapping[str, Any], row: UserProgress | Mapping[str, Any] | None, pack: Pack
) -> dict[str, Any]:
    """The progress object of docs/partner-api.md, Progress (zeros for a user with no activity
    yet), from ORM
    objects or from a row of `repository.read_for_partner_id` (given as both `user` and `row`;
    its progress columns are None without activity)."""
    get_user = fields(user)
    get = fields(row) if _has_activity(row) else None
    done: set[str] = set(get("lessons_completed")) if get else set()
    modules = []
    for module in pack.modules:
        completed = len(module.lesson_keys & done)
        total = len(module.lessons)
        modules.append(
            {
                "slug": module.slug,
                "title": module.title,
                "lessons_completed": completed,
                "lessons_total": total,
                "percent_complete": _percent(completed, total),
                "link": module.link,
            }
        )
    lessons_done = sum(1 for key in done if key in pack.lessons_by_key)
    rating_count = get("rating_count") if get else 0
    recorded_ms = (get("recorded_ms") if get else 0) or 0
    spoken_ms = (get("spoken_ms") if get else 0) or 0
    return {
        "partner_id": get_user("partner_id"),
        "percent_complete": _percent(lessons_done, pack.lessons_total),
        "lessons": {"completed": lessons_done, "total": pack.lessons_total},
        "practice_interviews": {
            "started": get("interviews_started") if get else 0,
            "completed": get("interviews_completed") if get else 0,
        },
        "answers_recorded": get("answers_recorded") if get else 0,
        "average_rating": (
            round(get("rating_sum") / rating_count, 2) if get and rating_count else None
        ),
        "minutes_practised": round(recorded_ms / 60_000, 1),
        "average_words_per_minute": (
            round(get("spoken_words") / (spoken_ms / 60_000)) if get and spoken_ms else None
        ),
        "last_activity_at": iso(get("last_activity_at")) if get else None,
        "modules": modules,
        "updated_at": iso(get("updated_at") if get else get_user("created_at")),
    }


def tracks(row: UserProgress | Mapping[str, Any] | None, pack: Pack) -> list[dict[str, Any]]:
    """Big Interview's track shape: a module is a track, its lessons the steps (from a progress
    row, or a row of `repository.read_for_partner_id`)."""
    done = set(fields(row)("lessons_completed")) if _has_activity(row) else set()
    result = []
    for module in pack.modules:
        steps = [
            {
                "step": number,
                "title": lesson.title,
                "link": lesson.link,
                "completed": lesson.key in done,
            }
            for number, lesson in enumerate(module.lessons, start=1)
        ]
        finished = len(module.lesson_keys & done)
        result.append(
            {
                "title": module.title,
                "progress": round(finished / len(steps), 2) if steps else 0.0,
                "tracks": steps,
            }
        )
    return result


async def row_for(session: AsyncSession, user: User) -> UserProgress | None:
    return await repository.row_of(session, user.id)


async def public_of(
    session: AsyncSession, users: Sequence[User], pack: Pack
) -> dict[uuid.UUID, dict[str, Any]]:
    """The public progress object of each of `users`, by user id, in one query."""
    rows = await repository.rows_of(session, [user.id for user in users])
    return {user.id: to_public(user, rows.get(user.id), pack) for user in users}


async def read_for_partner_id(direct: Direct, tenant: Tenant, partner_id: str) -> Row:
    """The user's progress row (`repository.read_for_partner_id`), or 404 like the users API."""
    row = await repository.read_for_partner_id(direct, tenant, partner_id, clock.now())
    if row is None:
        raise UserNotFound()
    return row


async def read_page(
    direct: Direct, tenant: Tenant, pack: Pack, *, updated_since: datetime | None, page: Page
) -> tuple[list[dict[str, Any]], str | None]:
    """Public progress of users with any activity, oldest change first, for incremental sync."""
    after = decode_position(page.cursor) if page.cursor else None
    updated_since, after = since_or_after(updated_since, after)
    rows = await repository.read_page(
        direct,
        tenant,
        clock.now(),
        limit=page.limit + 1,
        updated_since=updated_since,
        after=after,
    )
    items, cursor = next_page(rows, page.limit, lambda row: (row["updated_at"], row["user_id"]))
    return [to_public(row, row, pack) for row in items], cursor
