"""The SQL of exports: the export rows, and what an export reads of a user (their interviews,
answers and the comments on them), always within the export's org and environment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.tenant import Tenant
from greenroom.exports.models import EXPIRED, PENDING, RUNNING, UserExport
from greenroom.practice import repository as practice_repository
from greenroom.practice.models import Answer, AnswerComment, Interview
from greenroom.tenancy.models import Organization
from greenroom.users.models import User


async def get(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, export_id: uuid.UUID
) -> UserExport | None:
    """The user's export `export_id` in the tenant (org and environment)."""
    found = await session.execute(
        select(UserExport).where(
            UserExport.id == export_id,
            UserExport.user_id == user_id,
            UserExport.org_id == tenant.org_id,
            UserExport.environment == tenant.environment.value,
        )
    )
    return found.scalar_one_or_none()


async def in_progress(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID
) -> UserExport | None:
    """The user's export still pending or running, if any."""
    found = await session.execute(
        select(UserExport)
        .where(
            UserExport.user_id == user_id,
            UserExport.org_id == tenant.org_id,
            UserExport.environment == tenant.environment.value,
            UserExport.state.in_((PENDING, RUNNING)),
        )
        .order_by(UserExport.created_at.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()


async def recent(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, *, limit: int
) -> list[UserExport]:
    found = await session.execute(
        select(UserExport)
        .where(
            UserExport.user_id == user_id,
            UserExport.org_id == tenant.org_id,
            UserExport.environment == tenant.environment.value,
        )
        .order_by(UserExport.created_at.desc(), UserExport.id)
        .limit(limit)
    )
    return list(found.scalars())


async def by_id(session: AsyncSession, export_id: uuid.UUID) -> UserExport | None:
    """An export by id, whatever its org (for its job, which has only the id)."""
    return await session.get(UserExport, export_id, with_for_update=True)


async def owner(session: AsyncSession, export: UserExport) -> tuple[Organization, User] | None:
    """The export's org and user (None once the user is gone)."""
    found = await session.execute(
        select(Organization, User)
        .join(User, User.org_id == Organization.id)
        .where(
            User.id == export.user_id,
            User.org_id == export.org_id,
            User.environment == export.environment,
            Organization.id == export.org_id,
        )
    )
    row = found.first()
    return None if row is None else (row[0], row[1])


async def interviews_of(session: AsyncSession, export: UserExport) -> list[Interview]:
    found = await session.execute(
        select(Interview)
        .where(
            Interview.user_id == export.user_id,
            Interview.org_id == export.org_id,
            Interview.environment == export.environment,
        )
        .order_by(Interview.created_at, Interview.number)
    )
    return list(found.scalars())


# What the Partner API reads of an answer (`practice.repository.ANSWER_COLUMNS`: one list, so
# the export and the API cannot drift), and where its recording and interview are.
ANSWER_COLUMNS = (
    Answer.id,
    Answer.interview_id,
    Answer.media_key,
    *practice_repository.ANSWER_COLUMNS,
)


async def answers_of(
    session: AsyncSession, export: UserExport, interview_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """The answers of these interviews (the export's user's), by interview and question."""
    if not interview_ids:
        return []
    found = await session.execute(
        select(*ANSWER_COLUMNS)
        .where(Answer.user_id == export.user_id, Answer.interview_id.in_(interview_ids))
        .order_by(Answer.interview_id, Answer.question_index)
    )
    return [dict(row) for row in found.mappings()]


async def comments_of(session: AsyncSession, export: UserExport) -> list[AnswerComment]:
    found = await session.execute(
        select(AnswerComment)
        .where(
            AnswerComment.user_id == export.user_id,
            AnswerComment.org_id == export.org_id,
            AnswerComment.environment == export.environment,
        )
        .order_by(AnswerComment.created_at, AnswerComment.id)
    )
    return list(found.scalars())


async def past_expiry(session: AsyncSession, now: datetime, *, limit: int) -> list[UserExport]:
    """Exports (of any org) whose time is up and that are not marked expired yet."""
    found = await session.execute(
        select(UserExport)
        .where(UserExport.state != EXPIRED, UserExport.expires_at <= now)
        .order_by(UserExport.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.scalars())


async def forget_expired(session: AsyncSession, before: datetime) -> None:
    """Rows of exports expired before `before` (their files are long gone)."""
    await session.execute(
        delete(UserExport).where(UserExport.state == EXPIRED, UserExport.expires_at < before)
    )
