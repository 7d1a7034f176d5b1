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
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.admin_area import repository, students
from greenroom.content.loader import Pack
from greenroom.core import clock
from greenroom.core.errors import NotFound
from greenroom.core.responses import iso
from greenroom.progress import service as progress
from greenroom.tenancy.hosts import Environment
from greenroom.users.models import User

PAGE_SIZE = 50
EXPORT_BATCH = 1000
EXPORT_COLUMNS = (
    "partner_id", "email", "first_name", "last_name", "anonymous", "created_at",
    "last_activity_at", "percent_complete", "lessons_completed", "lessons_total",
    "interviews_started", "interviews_completed", "answers_recorded", "average_rating",
)  # fmt: skip
# sort -> label; "created" (newest first) is the default.
SORTS = {
    "created": "Newest first",
    "name": "Name (A to Z)",
    "activity": "Last activity (most recent first)",
    "progress": "Progress (most first)",
}
# activity -> label: the filter on the last activity (signing in counts).
ACTIVITY = {
    "": "any",
    "7d": "active in the last 7 days",
    "30d": "active in the last 30 days",
    "inactive14": "inactive for 14 days or more",
    "inactive30": "inactive for 30 days or more",
    "never": "never signed in",
}
INACTIVE_DAYS = {"inactive14": 14, "inactive30": 30}
ACTIVE_DAYS = {"7d": 7, "30d": 30}


@dataclass(frozen=True, slots=True)
class UserQuery:
    search: str = ""
    anonymous: str = ""  # "", "yes" or "no"
    page: int = 1
    sort: str = "created"  # a key of SORTS
    activity: str = ""  # a key of ACTIVITY
    progress_min: int | None = None  # percent, 0 to 100
    progress_max: int | None = None

    def params(self, **changes: object) -> dict[str, str]:
        """The query string of this query (with `changes`), without empty values."""
        values = {
            "q": self.search, "anonymous": self.anonymous, "sort": self.sort,
            "activity": self.activity, "progress_min": self.progress_min,
            "progress_max": self.progress_max, "page": self.page, **changes,
        }  # fmt: skip
        defaults = {"sort": "created", "page": 1}
        return {
            k: str(v) for k, v in values.items() if v not in (None, "") and defaults.get(k) != v
        }


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
    return await progress.public_of(session, users_, pack)


def lessons_range(pack: Pack, low: int | None, high: int | None) -> tuple[int, int]:
    """The numbers of completed lessons whose percentage (as progress.service rounds it) lies in
    [low, high]: a range, since the percentage grows with the number."""
    total = pack.lessons_total
    low_pct = 0 if low is None else low
    high_pct = 100 if high is None else high
    inside = [n for n in range(total + 1) if low_pct <= percent_of(n, total) <= high_pct]
    return (inside[0], inside[-1]) if inside else (1, 0)


def percent_of(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def _filter(
    org_id: uuid.UUID,
    environment: Environment,
    query: UserQuery,
    pack: Pack,
    now: datetime,
) -> repository.StudentFilter:
    """The students the query means: the search (folded as the read model stores it) and the
    filters, in the org's environment."""
    anonymous = {"yes": True, "no": False}.get(query.anonymous)
    lessons = None
    if query.progress_min is not None or query.progress_max is not None:
        lessons = lessons_range(pack, query.progress_min, query.progress_max)
    active_before = active_since = None
    if query.activity in INACTIVE_DAYS:
        active_before = now - timedelta(days=INACTIVE_DAYS[query.activity])
    elif query.activity in ACTIVE_DAYS:
        active_since = now - timedelta(days=ACTIVE_DAYS[query.activity])
    return repository.StudentFilter(
        org_id,
        environment,
        now,
        text=students.fold(query.search),
        anonymous=anonymous,
        never_active=query.activity == "never",
        active_before=active_before,
        active_since=active_since,
        lessons=lessons,
    )


async def search_users(
    session: AsyncSession, org_id: uuid.UUID, environment: Environment, query: UserQuery, pack: Pack
) -> UserPage:
    """One page of the query's users and their total, from the read model (its indexes serve
    every sort and filter); run it on an `offload` session."""
    chosen = _filter(org_id, environment, query, pack, clock.now())
    total = await repository.count_students(session, chosen)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    ids = await repository.page_of_user_ids(
        session, chosen, query.sort, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    by_id = await repository.users_by_ids(session, ids)
    found = [by_id[i] for i in ids if i in by_id]
    return UserPage(found, total, page, pages, await progress_of(session, found, pack))


async def get_user(
    session: AsyncSession, org_id: uuid.UUID, environment: Environment, partner_id: str
) -> User:
    user = await repository.user_by_partner_id(session, org_id, environment, partner_id)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user


def timestamp(value: datetime | None) -> str:
    """The one way exports write a time: ISO 8601 in UTC to the second, `2026-11-30T14:05:09Z`."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: object) -> str:
    text = "" if value is None else iso(value) if isinstance(value, datetime) else str(value)
    # Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


BOM = "\ufeff"


async def export_csv(
    sessions: async_sessionmaker[AsyncSession],
    org_id: uuid.UUID,
    environment: Environment,
    query: UserQuery,
    pack: Pack,
    *,
    bom: bool = False,
    batch: int = EXPORT_BATCH,
) -> AsyncIterator[str]:
    """The CSV of every user the query finds (its filters, not its page), batch by batch (keyset
    on created_at, id): memory stays flat at any size. `bom` starts it with a UTF-8 byte order
    mark, by which Excel knows the file is UTF-8 (names with accents stay readable).

    Runs in its own session (give it `database.offload`): the response streams after the
    request's session is closed, and a large export must not hold up the event loop.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    yield (BOM if bom else "") + out.getvalue()
    last: User | None = None
    async with sessions() as session:
        while True:
            chosen = _filter(org_id, environment, query, pack, clock.now())
            users = await repository.export_batch(session, chosen, after=last, limit=batch)
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
                        _cell(user.created_at), _cell(user.last_activity_at),
                        p["percent_complete"], p["lessons"]["completed"], p["lessons"]["total"],
                        p["practice_interviews"]["started"], p["practice_interviews"]["completed"],
                        p["answers_recorded"], _cell(p["average_rating"]),
                    ]
                )  # fmt: skip
            yield out.getvalue()
            last = users[-1]
            session.expunge_all()
