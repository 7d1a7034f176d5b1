"""All SQL of the users feature. Every statement is bound to one org and environment."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.db import DIALECT_INSERTS, table_of
from greenroom.core.direct import (
    Direct,
    Executor,
    Row,
    Statement,
    dialect_of,
    execute,
    execute_later,
)
from greenroom.core.pagination import after_position
from greenroom.core.tenant import of_tenant
from greenroom.tenancy.context import Tenant
from greenroom.tenancy.models import Organization
from greenroom.users.models import SsoToken, User


def in_tenant(tenant: Tenant) -> ColumnElement[bool]:
    """The tenant's users: its org and environment."""
    return of_tenant(User, tenant)


def active(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Users who still exist for the API: named ones, and anonymous ones within their 24 hours
    (the one definition, for every feature)."""
    return or_(User.expires_at.is_(None), User.expires_at > now)


def active_by_partner_id() -> ColumnElement[bool]:
    """The active user `:partner_id` of the tenant `:org_id`, `:environment` at `:now`, as bound
    parameters (for `core.direct` queries that other features join to)."""
    return and_(
        of_tenant(User),
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
_ACTIVE_BY_PARTNER_ID = Statement(select(User.id, *PUBLIC_COLUMNS).where(active_by_partner_id()))


async def read_active(direct: Direct, tenant: Tenant, partner_id: str, now: datetime) -> Row | None:
    """The id and public columns of an active user, without a session (`core.direct`)."""
    return await direct.one(_ACTIVE_BY_PARTNER_ID, **partner_id_params(tenant, partner_id, now))


async def get_any(session: AsyncSession, tenant: Tenant, partner_id: str) -> User | None:
    """The user, expired or not (the caller decides what an expired one means)."""
    stmt = select(User).where(in_tenant(tenant), User.partner_id == partner_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_active_by_id(
    session: AsyncSession, tenant: Tenant, user_id: uuid.UUID, now: datetime
) -> User | None:
    stmt = select(User).where(User.id == user_id, in_tenant(tenant), active(now))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_active(
    session: AsyncSession, tenant: Tenant, partner_id: str, now: datetime, *, lock: bool = False
) -> User | None:
    """The active user; with `lock`, its row locked for the transaction (PostgreSQL; SQLite's
    writers are serialised already), so that a racing update or delete waits for this one."""
    stmt = select(User).where(in_tenant(tenant), User.partner_id == partner_id, active(now))
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


# The write path's statements, built once (per dialect where they differ); values travel as
# parameters (`core.direct`).
_USERS = table_of(User)
_INSERT_NEW = {
    name: Statement(
        insert(_USERS)
        .on_conflict_do_nothing(index_elements=["org_id", "environment", "partner_id"])
        .returning(_USERS.c.id)
    )
    for name, insert in DIALECT_INSERTS.items()
}
# Locked for the transaction (PostgreSQL): an update and a delete of one user take turns.
_ANY_BY_PARTNER_ID = Statement(
    select(User.id, *PUBLIC_COLUMNS)
    .where(of_tenant(User), User.partner_id == bindparam("partner_id"))
    .with_for_update()
)
# Kept from being deleted until the transaction ends (a sign-in token refers to the row).
_ACTIVE_ID_KEY_SHARE = Statement(
    select(User.id, User.expires_at)
    .where(active_by_partner_id())
    .with_for_update(read=True, key_share=True)
)
# A Core insert with parameters: nothing reads a sign-in token's row back, so the unit of work
# would be pure cost, and a statement built with literal values is re-keyed on every call.
_INSERT_SIGN_IN_TOKEN = Statement(table_of(SsoToken).insert())
_UPDATE = Statement(_USERS.update().where(_USERS.c.id == bindparam("user_id")))
_LOCK_ORG = Statement(
    select(Organization.id).where(Organization.id == bindparam("org_id")).with_for_update()
)
# Anonymous users past their 24 hours (the purge's; `ix_users_expires_at` holds only users
# with an expiry).
_EXPIRED_ANONYMOUS_QUERY = select(User).where(
    User.anonymous.is_(True),
    User.expires_at.is_not(None),
    User.expires_at <= bindparam("now", type_=User.expires_at.type),
)
_COUNT_ANONYMOUS_SINCE = Statement(
    select(func.count(User.id).label("n")).where(
        User.org_id == bindparam("org_id"),
        User.anonymous.is_(True),
        User.created_at >= bindparam("since", type_=User.created_at.type),
    )
)


async def insert_new(on: Executor, values: dict[str, Any]) -> bool:
    """Insert the user (values by column name) unless the tenant has this partner_id already
    (another request may have created it meanwhile): one INSERT ... ON CONFLICT DO NOTHING;
    True when inserted. Python defaults fill the columns not given."""
    result = await execute(on, _INSERT_NEW[dialect_of(on)], values)
    return result.first() is not None


async def active_id_kept(
    on: Executor, tenant: Tenant, partner_id: str, now: datetime
) -> Row | None:
    """The active user's id, the row kept from deletion until the transaction ends."""
    values = partner_id_params(tenant, partner_id, now)
    return (await execute(on, _ACTIVE_ID_KEY_SHARE, values)).first()


async def read_any(on: Executor, tenant: Tenant, partner_id: str) -> Row | None:
    """The id and public columns of the user, expired or not, its row locked until the
    transaction ends."""
    values = {
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "partner_id": partner_id,
    }
    return (await execute(on, _ANY_BY_PARTNER_ID, values)).first()


async def insert_sign_in_token(on: Executor, values: dict[str, Any]) -> None:
    """Store a sign-in token's row (values by column name; its HMAC, never the token), with the
    transaction's other inserts whose outcome nothing reads (`execute_later`)."""
    await execute_later(on, _INSERT_SIGN_IN_TOKEN, values)


async def update(on: Executor, user_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Write `changes` (by column name) to the user's row."""
    await execute(on, _UPDATE, {**changes, "user_id": user_id})


async def lock_org_for_counting(on: Executor, org_id: uuid.UUID) -> None:
    """Serialise per-org counters (the anonymous cap) across processes: a row lock on
    PostgreSQL; SQLite's writers are serialised already (BEGIN IMMEDIATE)."""
    await execute(on, _LOCK_ORG, {"org_id": org_id})


async def count_anonymous_since(on: Executor, org_id: uuid.UUID, since: datetime) -> int:
    result = await execute(on, _COUNT_ANONYMOUS_SINCE, {"org_id": org_id, "since": since})
    row = result.first()
    return int(row["n"]) if row else 0


def _list_query(email: bool, since: bool, anonymous: bool, after: bool) -> Statement:
    stmt = select(User.id, *PUBLIC_COLUMNS).where(
        of_tenant(User), active(bindparam("now", type_=User.expires_at.type))
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
    return Statement(stmt.order_by(User.updated_at, User.id).limit(bindparam("limit")))


# One compiled statement per combination of filters (each uses its index; a catch-all with
# "IS NULL OR" conditions would not).
_LIST_QUERIES = {flags: _list_query(*flags) for flags in itertools.product((False, True), repeat=4)}


async def read_page(
    direct: Direct,
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
    return await direct.all(_LIST_QUERIES[flags], **values)


async def ids_in_tenant(session: AsyncSession, tenant: Tenant, *, limit: int) -> list[uuid.UUID]:
    """Up to `limit` of the tenant's users' ids, expired ones included (in no given order)."""
    result = await session.execute(select(User.id).where(in_tenant(tenant)).limit(limit))
    return list(result.scalars())


async def count_in_tenant(session: AsyncSession, tenant: Tenant) -> int:
    """How many users the tenant has, expired ones included."""
    result = await session.execute(select(func.count()).select_from(User).where(in_tenant(tenant)))
    return int(result.scalar_one())


async def delete_by_id(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A bulk DELETE, so that the database's ON DELETE CASCADE removes everything that is theirs."""
    await session.execute(
        delete(User).where(User.id == user_id).execution_options(synchronize_session=False)
    )


async def expired_for_erasure(session: AsyncSession, now: datetime, limit: int) -> list[User]:
    """Up to `limit` anonymous users past their 24 hours, locked for this transaction and
    skipped by any other process purging at once (PostgreSQL; SQLite's writers take turns), so
    each is erased by exactly one."""
    stmt = _EXPIRED_ANONYMOUS_QUERY.limit(limit).with_for_update(skip_locked=True)
    return list((await session.execute(stmt, {"now": now})).scalars())
