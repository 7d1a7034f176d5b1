"""Migration 0012 fills the read model of students for the users there were (both databases)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from greenroom.core.db import make_engine
from greenroom.core.migrate import alembic_config, upgrade
from tests import pg


async def test_0012_fills_students_and_their_weeks_from_what_was_recorded(
    tmp_path, database_url
) -> None:
    is_pg = database_url.startswith("postgresql")
    url = (
        await pg.create_database(database_url)
        if is_pg
        else f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    )
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0009")
        org, user, idle = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        signed_in = datetime(2026, 11, 4, 10, tzinfo=UTC)  # a Wednesday
        engine = make_engine(url)

        def uid(value: uuid.UUID) -> object:
            return value if is_pg else value.hex  # as each database stores a UUID

        def stamp(value: datetime) -> object:
            return value if is_pg else value.replace(tzinfo=None).isoformat(" ")

        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organizations (id, slug, name, anonymous_users_enabled, "
                    "sso_allowed_return_origins, sso_token_ttl_seconds, created_at, updated_at) "
                    "VALUES (:id, 'm', 'M', false, '[]', 3600, :t, :t)"
                ),
                {"id": uid(org), "t": stamp(signed_in)},
            )
            for who, first, last, activity in (
                (user, "María", "García", signed_in), (idle, "Sam", "Lee", None),
            ):  # fmt: skip
                await conn.execute(
                    text(
                        "INSERT INTO users (id, org_id, environment, partner_id, email, "
                        "first_name, last_name, anonymous, created_at, updated_at, "
                        "last_activity_at) VALUES (:id, :org, 'production', :pid, :email, "
                        ":first, :last, false, :t, :t, :activity)"
                    ),
                    {
                        "id": uid(who), "org": uid(org), "pid": f"p-{first.lower()}",
                        "email": f"{last.lower()}@x.example.com", "first": first, "last": last,
                        "t": stamp(signed_in - timedelta(days=30)),
                        "activity": stamp(activity) if activity else None,
                    },
                )  # fmt: skip
            await conn.execute(
                text(
                    "INSERT INTO user_progress (user_id, org_id, environment, lessons_completed, "
                    "interviews_started, interviews_completed, answers_recorded, rating_sum, "
                    "rating_count, last_activity_at, updated_at) VALUES (:user, :org, "
                    "'production', :lessons, 2, 1, 3, 0, 0, :t, :t)"
                ),
                {
                    "user": uid(user), "org": uid(org), "t": stamp(signed_in),
                    "lessons": json.dumps(["first-steps/a", "first-steps/b"]),
                },
            )  # fmt: skip
        await engine.dispose()
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT text, name_key, lessons_completed, interviews_started, "
                        "interviews_completed, last_activity_at FROM admin_students "
                        "ORDER BY name_key"
                    )
                )
            ).all()
            weeks = (await conn.execute(text("SELECT week FROM admin_activity_weeks"))).all()
            found = (
                await conn.execute(
                    text("SELECT count(*) FROM admin_students WHERE text LIKE '%garcia%'")
                )
            ).scalar()
        await engine.dispose()
        assert [r[1] for r in rows] == ["garcia maria", "lee sam"]
        garcia = rows[0]
        assert garcia[0] == "maria garcia\ngarcia@x.example.com\np-maria"
        assert tuple(garcia[2:5]) == (2, 2, 1) and garcia[5] is not None
        assert rows[1][2:5] == (0, 0, 0) and rows[1][5] is None
        assert [str(w[0]) for w in weeks] == ["2026-11-02"]  # the Monday of that week
        assert found == 1
    finally:
        if is_pg:
            await pg.drop_database(url)
