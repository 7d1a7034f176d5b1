"""Progress: one row per user, changed in the same transaction as the activity it counts.

Every activity locks the user's row first (SELECT ... FOR UPDATE on PostgreSQL; SQLite writers
are serialised by BEGIN IMMEDIATE), so concurrent activity of one user never loses a count.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.content.loader import Pack
from greenroom.core import clock
from greenroom.core.events import publish
from greenroom.core.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from greenroom.practice import members
from greenroom.progress.models import UserProgress
from greenroom.tenancy.context import Tenant
from greenroom.users.models import User


async def _locked_row(session: AsyncSession, tenant: Tenant, user: User) -> UserProgress:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = clock.now()
    await session.execute(
        insert(UserProgress)
        .values(
            user_id=user.id,
            org_id=tenant.org_id,
            environment=tenant.environment.value,
            lessons_completed=[],
            interviews_started=0,
            interviews_completed=0,
            answers_recorded=0,
            rating_sum=0,
            rating_count=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    result = await session.execute(
        select(UserProgress)
        .where(UserProgress.user_id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


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


def completed_keys(row: UserProgress | None) -> set[str]:
    return set(row.lessons_completed) if row else set()


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def to_public(user: User, row: UserProgress | None, pack: Pack) -> dict[str, Any]:
    """The progress object of docs/partner-api.md, Progress (zeros for a user with no activity
    yet)."""
    done = completed_keys(row)
    modules = []
    for module in pack.modules:
        completed = sum(1 for lesson in module.lessons if lesson.key in done)
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
    rating_count = row.rating_count if row else 0
    return {
        "partner_id": user.partner_id,
        "percent_complete": _percent(lessons_done, pack.lessons_total),
        "lessons": {"completed": lessons_done, "total": pack.lessons_total},
        "practice_interviews": {
            "started": row.interviews_started if row else 0,
            "completed": row.interviews_completed if row else 0,
        },
        "answers_recorded": row.answers_recorded if row else 0,
        "average_rating": round(row.rating_sum / rating_count, 2) if row and rating_count else None,
        "last_activity_at": _iso(row.last_activity_at if row else None),
        "modules": modules,
        "updated_at": _iso(row.updated_at if row else user.created_at),
    }


def tracks(row: UserProgress | None, pack: Pack) -> list[dict[str, Any]]:
    """Big Interview's track shape: a module is a track, its lessons the steps."""
    done = completed_keys(row)
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
        finished = sum(1 for lesson in module.lessons if lesson.key in done)
        result.append(
            {
                "title": module.title,
                "progress": round(finished / len(steps), 2) if steps else 0.0,
                "tracks": steps,
            }
        )
    return result


async def row_for(session: AsyncSession, user: User) -> UserProgress | None:
    result = await session.execute(select(UserProgress).where(UserProgress.user_id == user.id))
    return result.scalar_one_or_none()


async def for_partner_id(
    session: AsyncSession, tenant: Tenant, partner_id: str
) -> tuple[User, UserProgress | None]:
    user = await members.active_user(session, tenant, partner_id)
    return user, await row_for(session, user)


async def list_progress(
    session: AsyncSession, tenant: Tenant, pack: Pack, *, updated_since: datetime | None, page: Page
) -> tuple[list[dict[str, Any]], str | None]:
    """Users with any activity, oldest change first, for incremental sync."""
    query = (
        select(User, UserProgress)
        .join(UserProgress, UserProgress.user_id == User.id)
        .where(
            UserProgress.org_id == tenant.org_id,
            UserProgress.environment == tenant.environment.value,
            *members.active_conditions(tenant),
        )
        .order_by(UserProgress.updated_at, UserProgress.user_id)
        .limit(page.limit + 1)
    )
    if updated_since is not None:
        query = query.where(UserProgress.updated_at >= updated_since)
    if page.cursor:
        stamp, user_id = decode_cursor(page.cursor, 2)
        after = parse_cursor_time(str(stamp))
        query = query.where(
            (UserProgress.updated_at > after)
            | (
                (UserProgress.updated_at == after)
                & (UserProgress.user_id > parse_cursor_uuid(str(user_id)))
            )
        )
    rows = (await session.execute(query)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [to_public(user, row, pack) for user, row in rows]
    next_cursor = (
        encode_cursor([rows[-1][1].updated_at.isoformat(), str(rows[-1][1].user_id)])
        if more
        else None
    )
    return items, next_cursor


def parse_cursor_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if parsed.tzinfo is None:
        raise InvalidCursor()
    return parsed


def parse_cursor_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidCursor() from exc
