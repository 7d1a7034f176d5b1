"""All SQL of the users feature. Every statement is bound to one org and environment."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.pagination import after_position
from greenroom.core.reads import Query, Reads, Row
from greenroom.tenancy.context import Tenant
from greenroom.tenancy.models import Organization
from greenroom.users.models import User


def in_tenant(tenant: Tenant) -> ColumnElement[bool]:
    """The tenant's users: its org and environment."""
    return and_(User.org_id == tenant.org_id, User.environment == tenant.environment.value)


def active(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Users who still exist for the API: named ones, and anonymous ones within their 24 hours
    (the one definition, for every feature)."""
    return or_(User.expires_at.is_(None), User.expires_at > now)


def active_by_partner_id() -> ColumnElement[bool]:
    """The active user `:partner_id` of the tenant `:org_id`, `:environment` at `:now`, as bound
    parameters (for `core.reads` queries that other features join to)."""
    return and_(
        User.org_id == bindparam("org_id"),
        User.environment == bindparam("environment"),
        User.partner_id == bindparam("partner_id"),
        active(bindparam("now", type_=User.expires_at.type)),
    )


def partner_id_params(tenant: Tenant, partner_id: str, now: datetime) -> dict[str, Any]:
    """The values of `active_by_partner_id`'s parameters."""
    return {
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "partner_id": partner_id,
        "now": now,
    }


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
_ACTIVE_BY_PARTNER_ID = Query(select(User.id, *PUBLIC_COLUMNS).where(active_by_partner_id()))


async def read_active(reads: Reads, tenant: Tenant, partner_id: str, now: datetime) -> Row | None:
    """The id and public columns of an active user, without a session (`core.reads`)."""
    return await reads.one(_ACTIVE_BY_PARTNER_ID, **partner_id_params(tenant, partner_id, now))


async def get_any(session: AsyncSession, tenant: Tenant, partner_id: str) -> User | None:
    """The user, expired or not (the caller decides what an expired one means)."""
    stmt = select(User).where(in_tenant(tenant), User.partner_id == partner_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_active(
    session: AsyncSession, tenant: Tenant, partner_id: str, now: datetime
) -> User | None:
    stmt = select(User).where(in_tenant(tenant), User.partner_id == partner_id, active(now))
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


def _list_query(email: bool, since: bool, anonymous: bool, after: bool) -> Query:
    stmt = select(User.id, *PUBLIC_COLUMNS).where(
        User.org_id == bindparam("org_id"),
        User.environment == bindparam("environment"),
        active(bindparam("now", type_=User.expires_at.type)),
    )
    if email:
        stmt = stmt.where(func.lower(User.email) == bindparam("email", type_=User.email.type))
    if since:
        stmt = stmt.where(User.updated_at >= bindparam("since", type_=User.updated_at.type))
    if anonymous:
        stmt = stmt.where(User.anonymous == bindparam("anonymous", type_=User.anonymous.type))
    if after:
        position = (
            bindparam("after_at", type_=User.updated_at.type),
            bindparam("after_id", type_=User.id.type),
        )
        stmt = stmt.where(after_position(User.updated_at, User.id, position))
    return Query(stmt.order_by(User.updated_at, User.id).limit(bindparam("limit")))


# One compiled statement per combination of filters (each uses its index; a catch-all with
# "IS NULL OR" conditions would not).
_LIST_QUERIES = {flags: _list_query(*flags) for flags in itertools.product((False, True), repeat=4)}


async def read_page(
    reads: Reads,
    tenant: Tenant,
    now: datetime,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    email: str | None,
    updated_since: datetime | None,
    anonymous: bool | None,
) -> list[Row]:
    """Up to `limit` active users (id and public columns), oldest change first, so that
    `updated_since` plus the cursor works as a sync feed."""
    flags = (email is not None, updated_since is not None, anonymous is not None, bool(after))
    values: dict[str, Any] = {
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "now": now,
        "limit": limit,
        "email": email.lower() if email is not None else None,
        "since": updated_since,
        "anonymous": anonymous,
    }
    if after is not None:
        values["after_at"], values["after_id"] = after
    return await reads.all(_LIST_QUERIES[flags], **values)


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
