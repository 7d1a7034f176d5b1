"""The admin's read-only views of users: search, one page of the table, and the CSV export.

Writes (import, reset) go through the users service; this module only reads, with the tenant's
org and the chosen environment in every query.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.content.loader import Pack
from greenroom.core.errors import NotFound
from greenroom.core.responses import iso
from greenroom.progress import service as progress
from greenroom.progress.models import UserProgress
from greenroom.tenancy.hosts import Environment
from greenroom.users.models import User

PAGE_SIZE = 50
EXPORT_BATCH = 1000
EXPORT_COLUMNS = (
    "partner_id", "email", "first_name", "last_name", "anonymous", "created_at",
    "last_activity_at", "percent_complete", "lessons_completed", "lessons_total",
    "interviews_started", "interviews_completed", "answers_recorded", "average_rating",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class UserQuery:
    search: str = ""
    anonymous: str = ""  # "", "yes" or "no"
    page: int = 1


@dataclass(frozen=True, slots=True)
class UserPage:
    users: Sequence[User]
    total: int
    page: int
    pages: int
    # users.id -> the progress object of docs/partner-api.md, Progress (progress.service.to_public)
    progress: dict[uuid.UUID, dict[str, Any]]


async def progress_of(
    session: AsyncSession, users_: Sequence[User], pack: Pack
) -> dict[uuid.UUID, dict[str, Any]]:
    """The progress of each of `users_`, in one query."""
    ids = [u.id for u in users_]
    rows = {}
    if ids:
        result = await session.execute(select(UserProgress).where(UserProgress.user_id.in_(ids)))
        rows = {r.user_id: r for r in result.scalars()}
    return {u.id: progress.to_public(u, rows.get(u.id), pack) for u in users_}


def _filtered(org_id: object, environment: Environment, query: UserQuery) -> Select[Any]:
    stmt = select(User).where(User.org_id == org_id, User.environment == environment.value)
    term = query.search.strip()
    if term:
        # partner_id exactly, or an email that starts with what was typed.
        stmt = stmt.where(
            or_(User.partner_id == term, User.email.startswith(term.lower(), autoescape=True))
        )
    if query.anonymous == "yes":
        stmt = stmt.where(User.anonymous.is_(True))
    elif query.anonymous == "no":
        stmt = stmt.where(User.anonymous.is_(False))
    return stmt


async def search(
    session: AsyncSession, org_id: object, environment: Environment, query: UserQuery, pack: Pack
) -> UserPage:
    stmt = _filtered(org_id, environment, query)
    total = int(
        (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    rows = await session.execute(
        stmt.order_by(User.created_at.desc(), User.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    found = rows.scalars().all()
    return UserPage(found, total, page, pages, await progress_of(session, found, pack))


async def get_user(
    session: AsyncSession, org_id: object, environment: Environment, partner_id: str
) -> User:
    result = await session.execute(
        select(User).where(
            User.org_id == org_id,
            User.environment == environment.value,
            User.partner_id == partner_id,
        )
    )
    user = result.scalar_one_or_none()
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user


def _cell(value: object) -> str:
    text = "" if value is None else iso(value) if isinstance(value, datetime) else str(value)
    # Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


async def export_csv(
    sessions: async_sessionmaker[AsyncSession],
    org_id: object,
    environment: Environment,
    query: UserQuery,
    pack: Pack,
    *,
    batch: int = EXPORT_BATCH,
) -> AsyncIterator[str]:
    """The CSV, produced batch by batch (keyset on created_at, id): memory stays flat at any size.

    Runs in its own session, because the response streams after the request's session is closed.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    yield out.getvalue()
    last: User | None = None
    async with sessions() as session:
        while True:
            stmt = _filtered(org_id, environment, query).order_by(User.created_at, User.id)
            if last is not None:
                stmt = stmt.where(
                    or_(
                        User.created_at > last.created_at,
                        and_(User.created_at == last.created_at, User.id > last.id),
                    )
                )
            users = (await session.execute(stmt.limit(batch))).scalars().all()
            if not users:
                return
            out.seek(0)
            out.truncate()
            progress_by_user = await progress_of(session, users, pack)
            for user in users:
                p = progress_by_user[user.id]
                writer.writerow(
                    [
                        _cell(user.partner_id), _cell(user.email), _cell(user.first_name),
                        _cell(user.last_name), "yes" if user.anonymous else "no",
                        _cell(user.created_at), _cell(p["last_activity_at"]),
                        p["percent_complete"], p["lessons"]["completed"], p["lessons"]["total"],
                        p["practice_interviews"]["started"], p["practice_interviews"]["completed"],
                        p["answers_recorded"], _cell(p["average_rating"]),
                    ]
                )  # fmt: skip
            yield out.getvalue()
            last = users[-1]
            session.expunge_all()
