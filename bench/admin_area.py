"""The admin area at scale: the dashboard's aggregates and the user search over 100,000 students.

    python bench/admin_area.py [--users 100000] [--repeat 5]
                               [--database-url postgresql+asyncpg://postgres@127.0.0.1:5433/bench]

Migrates a fresh SQLite file (and the PostgreSQL database when given: a scratch one, its tables
are dropped first), seeds an org with `--users` students by bulk inserts (not the API): names
with and without accents, progress rows for most, weeks of activity, practice interviews over
five question sets, the read model's rows (`admin_students`, folded as `admin_area.students` does), and a second org with a
fifth as many, so that every query has to keep to its org. Then it runs what the pages run, on
`database.offload` sessions as the pages do, and prints the median and the slowest of
`--repeat` runs per query, in milliseconds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FIRST = (
    "Ana", "José", "María", "Zoë", "Chloé", "Søren", "Łukasz", "Priya", "Wei", "Aoife",
    "Jamal", "Fatima", "Noah", "Olivia", "Mateo", "Amélie", "Björn", "Nguyễn", "Ines", "Sam",
)  # fmt: skip
LAST = (
    "García", "Shah", "Müller", "Smith", "Ó Briain", "Łopieńska", "Nguyen", "Martínez", "Dubois",
    "Kowalski", "Okafor", "Rossi", "Haddad", "Johansson", "Øvergaard", "Brown", "Tanaka", "Silva",
    "Fernández", "Cohen", "Patel", "Kim", "Nowak", "Jensen", "Moreau", "Schäfer", "Costa",
)  # fmt: skip
SETS = (
    ("general-interview", "General interview"),
    ("behavioural-basics", "Behavioural basics"),
    ("teamwork-and-conflict", "Teamwork and conflict"),
    ("introduce-yourself", "Introduce yourself"),
    ("what-would-you-do", "What would you do?"),
)
CHUNK = 5000


async def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(table.insert(), rows[start : start + CHUNK])


async def seed_org(conn: Any, slug: str, count: int, rng: random.Random, pack: Any) -> Any:
    """An org with `count` students and their activity, by bulk inserts; returns the org's id."""
    from greenroom.admin_area import students
    from greenroom.admin_area.models import ActivityWeek, Student
    from greenroom.core import clock
    from greenroom.core.db import table_of
    from greenroom.practice.models import Interview
    from greenroom.progress.models import UserProgress
    from greenroom.tenancy.models import Organization
    from greenroom.users.models import User

    now = clock.now()
    org_id = uuid.uuid4()
    await conn.execute(
        table_of(Organization).insert(),
        [{"id": org_id, "slug": slug, "name": slug.title(), "created_at": now, "updated_at": now}],
    )
    lessons = list(pack.lessons_by_key)
    users: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    progress: list[dict[str, Any]] = []
    weeks: list[dict[str, Any]] = []
    interviews: list[dict[str, Any]] = []
    for i in range(count):
        user_id = uuid.uuid4()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = now - timedelta(days=rng.randrange(0, 400), seconds=rng.randrange(86400))
        active = rng.random() < 0.8
        last_activity = (
            created + (now - created) * rng.random() if active and rng.random() < 0.95 else None
        )
        user = {
            "id": user_id,
            "org_id": org_id,
            "environment": "production",
            "partner_id": f"{slug}-{i:07d}",
            "email": f"{students.fold(first)}.{students.fold(last).replace(' ', '')}{i}@uni.example.edu",
            "first_name": first,
            "last_name": last,
            "anonymous": False,
            "created_at": created,
            "updated_at": created,
            "last_activity_at": last_activity,
        }
        users.append(user)
        done = rng.sample(lessons, rng.randrange(0, len(lessons) + 1)) if last_activity else []
        started = rng.choice((0, 0, 1, 1, 2, 3)) if last_activity else 0
        finished = rng.randrange(0, started + 1)
        rows.append(
            {
                "user_id": user_id,
                "org_id": org_id,
                "environment": "production",
                **students.index_values(user),
                "anonymous": False,
                "created_at": created,
                "expires_at": None,
                "last_activity_at": last_activity,
                "lessons_completed": len(done),
                "interviews_started": started,
                "interviews_completed": finished,
            }
        )
        if last_activity is None:
            continue
        progress.append(
            {
                "user_id": user_id,
                "org_id": org_id,
                "environment": "production",
                "lessons_completed": done,
                "interviews_started": started,
                "interviews_completed": finished,
                "answers_recorded": started * 3,
                "rating_sum": 0,
                "rating_count": 0,
                "last_activity_at": last_activity,
                "updated_at": last_activity,
            }
        )
        seen = {students.week_of(last_activity)}
        for _ in range(rng.randrange(0, 8)):
            seen.add(students.week_of(created + (now - created) * rng.random()))
        weeks.extend(
            {"user_id": user_id, "week": w, "org_id": org_id, "environment": "production"}
            for w in seen
        )
        for _ in range(started):
            set_slug, title = rng.choice(SETS)
            at = created + (now - created) * rng.random()
            interviews.append(
                {
                    "id": uuid.uuid4(),
                    "org_id": org_id,
                    "environment": "production",
                    "user_id": user_id,
                    "set_slug": set_slug,
                    "title": title,
                    "category": "general",
                    "interviewer_name": "Alex",
                    "questions": [{"prompt": "Tell me about yourself.", "tips": []}],
                    "created_at": at,
                    "updated_at": at,
                }
            )
    await _insert(conn, table_of(User), users)
    await _insert(conn, table_of(Student), rows)
    await _insert(conn, table_of(UserProgress), progress)
    await _insert(conn, table_of(ActivityWeek), weeks)
    await _insert(conn, table_of(Interview), interviews)
    return org_id


async def timed(repeat: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Median and slowest milliseconds of `repeat` runs (after one warm-up run)."""
    await work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


async def bench(url: str, users: int, repeat: int) -> None:
    from sqlalchemy import text

    from greenroom.admin_area import dashboard, users_view
    from greenroom.content.loader import get_pack
    from greenroom.core.db import Database, make_engine
    from greenroom.core.migrate import upgrade
    from greenroom.tenancy.hosts import Environment

    pack = get_pack(None)
    is_pg = url.startswith("postgresql")
    if is_pg:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    rng = random.Random(18)
    start = time.perf_counter()
    async with engine.begin() as conn:
        org_id = await seed_org(conn, "cohort", users, rng, pack)
        await seed_org(conn, "other", users // 5, rng, pack)
    if is_pg:
        # What autovacuum does soon after a bulk load (statistics, the visibility map that
        # index-only scans need).
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    await engine.dispose()
    label = "PostgreSQL" if is_pg else "SQLite"
    print(
        f"\n{label}: seeded {users} + {users // 5} students in {time.perf_counter() - start:.0f} s"
    )

    database = Database(url)
    production = Environment.PRODUCTION

    async def board(period: str) -> object:
        async with database.offload() as session:
            return await dashboard.build(session, org_id, production, pack, period)

    async def find(**query: Any) -> users_view.UserPage:
        async with database.offload() as session:
            return await users_view.search_users(
                session, org_id, production, users_view.UserQuery(**query), pack
            )

    print(f"{'query':52} {'median ms':>10} {'max ms':>8} {'found':>7}")
    for period in dashboard.PERIODS:

        async def build(chosen: str = period) -> object:
            return await board(chosen)

        median, worst = await timed(repeat, build)
        print(f"{'dashboard, period ' + period:52} {median:10.1f} {worst:8.1f}")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("list, newest first (page 1)", {}),
        ("list, page 1000 (jump)", {"page": 1000}),
        ("search 'garcia' (finds García)", {"search": "garcia"}),
        ("search 'Shah'", {"search": "Shah"}),
        ("search 'ÜLLER' (finds Müller)", {"search": "ÜLLER"}),
        ("search 'ovma' (substring of a name, no match)", {"search": "ovma"}),
        ("search 'garcia', sorted by name", {"search": "garcia", "sort": "name"}),
        ("search email part 'lopienska1'", {"search": "lopienska1"}),
        ("search partner_id 'cohort-0012345'", {"search": "cohort-0012345"}),
        ("search 'an' (2 letters: no trigram, a scan)", {"search": "an"}),
        ("sort by name (page 1)", {"sort": "name"}),
        ("sort by last activity (page 1)", {"sort": "activity"}),
        ("sort by progress (page 1)", {"sort": "progress"}),
        ("filter progress 50-100%", {"progress_min": 50, "progress_max": 100}),
        ("filter never signed in", {"activity": "never"}),
        ("filter inactive 14+ days", {"activity": "inactive14"}),
        ("'garcia', active 30 days, progress 25-75%", {
            "search": "garcia", "activity": "30d", "progress_min": 25, "progress_max": 75,
        }),
    ]  # fmt: skip
    for name, query in cases:
        found: list[int] = []

        async def run(q: dict[str, Any] = query, out: list[int] = found) -> None:
            out.append((await find(**q)).total)

        median, worst = await timed(repeat, run)
        print(f"{name:52} {median:10.1f} {worst:8.1f} {found[-1]:7}")
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(f"sqlite+aiosqlite:///{folder}/admin.db", args.users, args.repeat))
    if args.database_url:
        asyncio.run(bench(args.database_url, args.users, args.repeat))


if __name__ == "__main__":
    main()
