"""All SQL about org admins (the admin area's, the CLI's and bearer tokens' look-ups)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admins.models import Admin, AdminRole


async def by_email(session: AsyncSession, org_id: uuid.UUID, email: str) -> Admin | None:
    """The org's admin with this (normalised) email. No admin's email holds a NUL (addresses are
    checked when admins are added), and PostgreSQL refuses one in text: such an email, typed at
    a log-in, finds nobody rather than failing the request."""
    if "\x00" in email:
        return None
    result = await session.execute(
        select(Admin).where(Admin.org_id == org_id, Admin.email == email)
    )
    return result.scalar_one_or_none()


async def list_for_org(session: AsyncSession, org_id: uuid.UUID) -> Sequence[Admin]:
    """The org's admins by email."""
    result = await session.execute(
        select(Admin).where(Admin.org_id == org_id).order_by(Admin.email)
    )
    return result.scalars().all()


async def email_of(session: AsyncSession, admin_id: uuid.UUID) -> str | None:
    """The admin's email; None when the admin is gone."""
    result = await session.execute(select(Admin.email).where(Admin.id == admin_id))
    return result.scalar()


async def email_and_role(
    session: AsyncSession, org_id: uuid.UUID, admin_id: uuid.UUID
) -> tuple[str, str] | None:
    """The email and role of the org's admin; None when there is no such admin (any more)."""
    result = await session.execute(
        select(Admin.email, Admin.role).where(Admin.id == admin_id, Admin.org_id == org_id)
    )
    row = result.first()
    return None if row is None else (row.email, row.role)


async def count_with_role(session: AsyncSession, org_id: uuid.UUID, role: AdminRole) -> int:
    """How many of the org's admins have `role`."""
    result = await session.execute(
        select(func.count())
        .select_from(Admin)
        .where(Admin.org_id == org_id, Admin.role == role.value)
    )
    return int(result.scalar_one())


async def record_log_in(session: AsyncSession, admin_id: uuid.UUID, now: datetime) -> None:
    """The admin's last log-in time."""
    await session.execute(update(Admin).where(Admin.id == admin_id).values(last_login_at=now))
