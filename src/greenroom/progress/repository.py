"""All SQL of the progress feature: the locked row that activity changes, and the reads."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.db import dialect_insert
from greenroom.core.direct import Direct, Row, Statement
from greenroom.core.pagination import after_position
from greenroom.core.tenant import of_tenant
from greenroom.progress.models import UserProgress
from greenroom.tenancy.context import Tenant
from greenroom.users import repository as users
from greenroom.users.models import User


async def locked_row(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, now: datetime
) -> UserProgress:
    """The user's progress row, made (all zeros) when they have none yet, and locked for the
    transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite's writers are serialised by BEGIN
    IMMEDIATE), with what the database holds now (`populate_existing`)."""
    insert = dialect_insert(session)
    await session.execute(
        insert(UserProgress)
        .values(
            user_id=user_id,
            org_id=tenant.org_id,
            environment=tenant.environment.value,
            lessons_completed=[],
            interviews_started=0,
            interviews_completed=0,
            answers_recorded=0,
            rating_sum=0,
            rating_count=0,
            recorded_ms=0,
            spoken_words=0,
            spoken_ms=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    result = await session.execute(
        select(UserProgress)
        .where(UserProgress.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def row_of(session: AsyncSession, user_id: uuid.UUID) -> UserProgress | None:
    """The user's progress row; None before any activity."""
    result = await session.execute(select(UserProgress).where(UserProgress.user_id == user_id))
    return result.scalar_one_or_none()


async def rows_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, UserProgress]:
    """The progress rows of `user_ids` (those with any activity), by user id, in one query."""
    if not user_ids:
        return {}
    result = await session.execute(
        select(UserProgress).where(UserProgress.user_id.in_(list(user_ids)))
    )
    return {row.user_id: row for row in result.scalars()}


# What the public progress object is made of (`service.to_public`): the user's two columns and
# the progress row's (all None when the user has no activity yet).
_COLUMNS = (
    User.partner_id,
    User.created_at,
    UserProgress.user_id,
    UserProgress.lessons_completed,
    UserProgress.interviews_started,
    UserProgress.interviews_completed,
    UserProgress.answers_recorded,
    UserProgress.rating_sum,
    UserProgress.rating_count,
    UserProgress.recorded_ms,
    UserProgress.spoken_words,
    UserProgress.spoken_ms,
    UserProgress.last_activity_at,
    UserProgress.updated_at,
)
_PROGRESS_BY_PARTNER_ID = Statement(
    select(*_COLUMNS)
    .select_from(User)
    .outerjoin(UserProgress, UserProgress.user_id == User.id)
    .where(users.active_by_partner_id())
)


async def read_for_partner_id(
    direct: Direct, tenant: Tenant, partner_id: str, now: datetime
) -> Row | None:
    """The active user's progress row joined to them in one statement; None when there is no
    such user, and None progress columns (`user_id` among them) when they have no activity."""
    return await direct.one(
        _PROGRESS_BY_PARTNER_ID, **users.partner_id_params(tenant, partner_id, now)
    )


def _list_query(since: bool, after: bool) -> Statement:
    stmt = (
        select(*_COLUMNS)
        .select_from(UserProgress)
        .join(User, User.id == UserProgress.user_id)
        .where(of_tenant(UserProgress), users.active(bindparam("now", type_=User.expires_at.type)))
    )
    if since:
        stmt = stmt.where(
            UserProgress.updated_at >= bindparam("since", type_=UserProgress.updated_at.type)
        )
    if after:
        position = (
            bindparam("after_at", type_=UserProgress.updated_at.type),
            bindparam("after_id", type_=UserProgress.user_id.type),
        )
        stmt = stmt.where(after_position(UserProgress.updated_at, UserProgress.user_id, position))
    order = (UserProgress.updated_at, UserProgress.user_id)
    return Statement(stmt.order_by(*order).limit(bindparam("limit")))


_LIST_QUERIES = {flags: _list_query(*flags) for flags in itertools.product((False, True), repeat=2)}


async def read_page(
    direct: Direct,
    tenant: Tenant,
    now: datetime,
    *,
    limit: int,
    updated_since: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Row]:
    """Up to `limit` progress rows of active users (with the user's columns), oldest change
    first, for incremental sync."""
    values: dict[str, Any] = {
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "now": now,
        "limit": limit,
        "since": updated_since,
    }
    if after is not None:
        values["after_at"], values["after_id"] = after
    return await direct.all(_LIST_QUERIES[(updated_since is not None, after is not None)], **values)
