"""All SQL of the users feature. Every statement is bound to one org and environment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.reads import Query, Reads, Row
from greenroom.tenancy.context import Tenant
from greenroom.tenancy.models import Organization
from greenroom.users.models import User


def _tenant_clause(tenant: Tenant) -> ColumnElement[bool]:
    return and_(User.org_id == tenant.org_id, User.environment == tenant.environment.value)


def _active(now: datetime) -> ColumnElement[bool]:
    return or_(User.expires_at.is_(None), User.expires_at > now)


# The columns of the public user object (`service.public_user`).
PUBLIC_COLUMNS = (
    User.partner_id,
    User.email,
    User.first_name,
    User.last_name,
    User.metadata_.label("metadata_"),  # the attribute's name, not the column's
    User.anonymous,
    User.expires_at,
    User.created_at,
    User.updated_at,
)
_ACTIVE_BY_PARTNER_ID = Query(
    select(*PUBLIC_COLUMNS).where(
        User.org_id == bindparam("org_id"),
        User.environment == bindparam("environment"),
        User.partner_id == bindparam("partner_id"),
        or_(User.expires_at.is_(None), User.expires_at > bindparam("now")),
    )
)


async def read_active(reads: Reads, tenant: Tenant, partner_id: str, now: datetime) -> Row | None:
    """The public columns of an active user, without a session (`core.reads`)."""
    return await reads.one(
        _ACTIVE_BY_PARTNER_ID,
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        partner_id=partner_id,
        now=now,
    )


async def get_any(session: AsyncSession, tenant: Tenant, partner_id: str) -> User | None:
    """The user, expired or not (the caller decides what an expired one means)."""
    stmt = select(User).where(_tenant_clause(tenant), User.partner_id == partner_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_active(
    session: AsyncSession, tenant: Tenant, partner_id: str, now: datetime
) -> User | None:
    stmt = select(User).where(_tenant_clause(tenant), User.partner_id == partner_id, _active(now))
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert(session: AsyncSession, user: User) -> bool:
    """Insert under a savepoint; False when another transaction holds the same partner_id."""
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def list_page(
    session: AsyncSession,
    tenant: Tenant,
    now: datetime,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    email: str | None,
    updated_since: datetime | None,
    anonymous: bool | None,
) -> Sequence[User]:
    """Oldest change first, so that `updated_since` plus the cursor works as a sync feed."""
    stmt = select(User).where(_tenant_clause(tenant), _active(now))
    if email is not None:
        stmt = stmt.where(func.lower(User.email) == email.lower())
    if updated_since is not None:
        stmt = stmt.where(User.updated_at >= updated_since)
    if anonymous is not None:
        stmt = stmt.where(User.anonymous.is_(anonymous))
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(User.updated_at > at, and_(User.updated_at == at, User.id > last_id)))
    stmt = stmt.order_by(User.updated_at, User.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def lock_org(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialise per-org counters (the anonymous cap) across processes: a row lock on
    PostgreSQL; SQLite's writers are serialised already (BEGIN IMMEDIATE)."""
    await session.execute(
        select(Organization.id).where(Organization.id == org_id).with_for_update()
    )


async def count_anonymous_since(session: AsyncSession, org_id: uuid.UUID, since: datetime) -> int:
    stmt = select(func.count(User.id)).where(
        User.org_id == org_id, User.anonymous.is_(True), User.created_at >= since
    )
    return int((await session.execute(stmt)).scalar_one())


async def delete_by_id(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A bulk DELETE, so that the database's ON DELETE CASCADE removes everything that is theirs."""
    await session.execute(
        delete(User).where(User.id == user_id).execution_options(synchronize_session=False)
    )


async def delete_expired(session: AsyncSession, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Delete up to `limit` expired anonymous users; returns the rows this call deleted.

    DELETE ... RETURNING hands each row to exactly one of several processes purging at once.
    """
    batch = (
        select(User.id)
        .where(User.anonymous.is_(True), User.expires_at.is_not(None), User.expires_at <= now)
        .limit(limit)
        .scalar_subquery()
    )
    stmt = (
        delete(User)
        .where(User.id.in_(batch), User.anonymous.is_(True), User.expires_at <= now)
        .returning(*User.__table__.columns)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(stmt)).mappings().all()
    return [dict(row) for row in rows]
