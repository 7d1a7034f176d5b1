"""Seed an organization with many users quickly: bulk inserts on the driver, not the API.

    python bench/seed_scale.py --database-url sqlite+aiosqlite:////tmp/scale.db --users 1000000
    python bench/seed_scale.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5433/scale ...

Each user gets a progress row; every tenth user also gets a practice interview. Users are
created as if over the last year (so `updated_at` orders them, as a real org's would be). The
org is made through the service (with a key, printed), the rows in transactions of `--batch`
rows through `core.direct` (the same statements, type processing and defaults as the app).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from greenroom.admins import service as admins  # noqa: E402
from greenroom.core import clock  # noqa: E402
from greenroom.core.db import Database, table_of  # noqa: E402
from greenroom.core.direct import Statement  # noqa: E402
from greenroom.core.migrate import upgrade  # noqa: E402
from greenroom.core.settings import Settings  # noqa: E402
from greenroom.keys import service as keys  # noqa: E402
from greenroom.practice.models import Interview, InterviewCounter  # noqa: E402
from greenroom.progress.models import UserProgress  # noqa: E402
from greenroom.tenancy import repository as orgs_repo  # noqa: E402
from greenroom.tenancy import service as orgs  # noqa: E402
from greenroom.tenancy.hosts import Environment  # noqa: E402
from greenroom.users.models import User  # noqa: E402

SECRETS = "b1:bench-secret-0123456789abcdef0123456789abcdef"
LESSONS = ["first-impressions/handshake", "first-impressions/small-talk", "stories/star"]
_USERS = Statement(insert(table_of(User)))
_PROGRESS = Statement(insert(table_of(UserProgress)))
_INTERVIEWS = Statement(insert(table_of(Interview)))
_COUNTER = Statement(insert(table_of(InterviewCounter)))
_ANY_USER = Statement(select(User.id).where(User.org_id == bindparam("org_id")).limit(1))


def partner_id(n: int) -> str:
    return f"u{n:07d}"


async def make_org(database: Database, slug: str) -> tuple[uuid.UUID, str]:
    """The org (made once, with generous rate limits) and a new production key for it."""
    settings = Settings(secrets=SECRETS, database_url=database.url)  # type: ignore[arg-type]
    async with database.writer() as session, session.begin():
        org = await orgs_repo.get_by_slug(session, slug)
        if org is None:
            org = await orgs.create_org(session, slug=slug, name=f"Scale {slug}")
            await admins.create_admin(
                session, org, email=f"admin@{slug}.example.com", password="x" * 12
            )
        org.rate_limit_per_minute = 2_000_000_000
        org.key_rate_limit_per_minute = 1_000_000_000
        created = await keys.create_key(
            session,
            org_id=org.id,
            environment=Environment.PRODUCTION,
            name="scale",
            created_by="cli",
            server_secret=settings.server_secrets[0],
        )
        return org.id, created.secret


async def seed_users(database: Database, org_id: uuid.UUID, count: int, batch: int) -> None:
    """`count` users with progress rows, every tenth with an interview."""
    start = clock.now() - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    for first in range(0, count, batch):
        users: list[dict[str, Any]] = []
        progress: list[dict[str, Any]] = []
        interviews: list[dict[str, Any]] = []
        for n in range(first, min(first + batch, count)):
            at = start + step * n
            user_id = uuid.uuid4()
            users.append(
                {
                    "id": user_id,
                    "org_id": org_id,
                    "environment": "production",
                    "partner_id": partner_id(n),
                    "email": f"user{n}@scale.example.com",
                    "first_name": "Student",
                    "last_name": f"Number {n}",
                    "metadata": None,
                    "anonymous": False,
                    "expires_at": None,
                    "last_activity_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            progress.append(
                {
                    "user_id": user_id,
                    "org_id": org_id,
                    "environment": "production",
                    "lessons_completed": LESSONS[: n % 4],
                    "interviews_started": 1 if n % 10 == 0 else 0,
                    "interviews_completed": 0,
                    "answers_recorded": 0,
                    "rating_sum": 0,
                    "rating_count": 0,
                    "last_activity_at": at,
                    "updated_at": at,
                }
            )
            if n % 10 == 0:
                interviews.append(
                    {
                        "id": uuid.uuid4(),
                        "number": n // 10 + 1,  # the org's interview numbers, 1, 2, 3, ...
                        "org_id": org_id,
                        "environment": "production",
                        "user_id": user_id,
                        "set_slug": "general-interview",
                        "title": "General interview",
                        "category": "general",
                        "interviewer_name": "Alex",
                        "questions": [{"text": "Tell me about yourself.", "tips": []}],
                        "completed_at": None,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
        async with database.direct.transaction() as tx:
            await tx.execute_many(_USERS, users)
            await tx.execute_many(_PROGRESS, progress)
            await tx.execute_many(_INTERVIEWS, interviews)
    async with database.direct.transaction() as tx:  # the next interview started gets the next
        await tx.execute(_COUNTER, {"org_id": org_id, "last_number": (count - 1) // 10 + 1})


async def seed(database_url: str, slug: str, count: int, batch: int = 5000) -> str:
    """Seed `count` users into org `slug` (a new org, or one seeded before: then nothing is
    added); returns a new key of the org."""
    database = Database(database_url)
    try:
        org_id, key = await make_org(database, slug)
        if await database.direct.one(_ANY_USER, org_id=org_id) is None:
            await seed_users(database, org_id, count, batch)
        return key
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--slug", default="scale")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    upgrade(args.database_url)
    started = time.perf_counter()
    key = asyncio.run(seed(args.database_url, args.slug, args.users, args.batch))
    print(
        f"org {args.slug}: {args.users} users in {time.perf_counter() - started:.1f} s; key {key}"
    )


if __name__ == "__main__":
    main()
