"""Every lookup and list of the Partner API's hot paths is served by an index, on both databases.

On SQLite the plan must SEARCH (never SCAN) the big tables. On PostgreSQL, where a planner
rightly prefers a sequential scan of a small test table, sequential scans are switched off for
the EXPLAIN: a plan that still scans the table means no index can serve the query.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import make_url

from greenroom.admin_area import repository as admin
from greenroom.core import clock
from greenroom.core.direct import Statement
from greenroom.practice import repository as practice
from greenroom.progress import repository as progress
from greenroom.users import repository as users
from greenroom.webhooks import repository as webhooks
from tests.factories import make_org

BIG_TABLES = (
    "users",
    "user_progress",
    "practice_interviews",
    "webhook_endpoints",
    "webhook_deliveries",
)
NOW = clock.now()
TENANT = {"org_id": uuid.uuid4(), "environment": "production", "now": NOW}
AFTER = {"after_at": NOW - timedelta(days=1), "after_id": uuid.uuid4()}

CASES: list[tuple[str, Statement, dict[str, Any]]] = [
    ("user by partner_id", users._ACTIVE_BY_PARTNER_ID, {**TENANT, "partner_id": "abc"}),
    ("user by partner_id, any state", users._ANY_BY_PARTNER_ID, {**TENANT, "partner_id": "abc"}),
    *(
        (
            f"users page {flags}",
            users._LIST_QUERIES[flags],
            {
                **TENANT,
                **AFTER,
                "limit": 51,
                "email": "jane@xyz.example.com",
                "since": NOW,
                "anonymous": False,
            },
        )
        for flags in users._LIST_QUERIES
    ),
    ("anonymous users today", users._COUNT_ANONYMOUS_SINCE, {**TENANT, "since": NOW}),
    (
        "anonymous users past their 24 hours",
        Statement(users._EXPIRED_ANONYMOUS_QUERY),
        {"now": NOW},
    ),
    ("progress by partner_id", progress._PROGRESS_BY_PARTNER_ID, {**TENANT, "partner_id": "a"}),
    *(
        (
            f"progress page {flags}",
            progress._LIST_QUERIES[flags],
            {**TENANT, **AFTER, "limit": 51, "since": NOW},
        )
        for flags in progress._LIST_QUERIES
    ),
    *(
        (
            f"interviews page after={after}",
            practice._PAGES[after],
            {**TENANT, **AFTER, "partner_id": "abc", "limit": 51},
        )
        for after in (False, True)
    ),
    (
        "an outbox message, if an endpoint wants it",
        webhooks._INSERT_MESSAGE,
        {
            **TENANT,
            "id": uuid.uuid4(),
            "event_type": "user.created",
            "body": "{}",
            "created_at": NOW,
        },
    ),
    *(
        (
            f"the deliveries of a message, {kind}",
            statement,
            {
                **TENANT,
                "message_id": uuid.uuid4(),
                "event_type": "user.created",
                "created_at": NOW,
                "ordering_key": "user:abc123def",
            },
        )
        for kind, statement in (
            ("in no order", webhooks._INSERT_DELIVERIES),
            ("each at the tail of its user's queue", webhooks._INSERT_QUEUED_DELIVERIES),
        )
    ),
]


# The pages after a cursor with no more selective filter (an email), and no `updated_since`
# (the services keep only the stronger of the two: `core.pagination.since_or_after`).
SEEKS_TO_THE_CURSOR = {
    "users page (False, False, False, True)",
    "users page (False, False, True, True)",
    "progress page (False, True)",
    "interviews page after=True",
}


def _sqlite_plan(url: str, sql: str, arguments: list[Any]) -> list[str]:
    path = make_url(url).database
    assert path is not None
    conn = sqlite3.connect(path)
    try:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", arguments)]
    finally:
        conn.close()


@pytest.mark.parametrize(("name", "statement", "values"), CASES, ids=[c[0] for c in CASES])
async def test_the_query_uses_an_index(
    app: FastAPI, name: str, statement: Statement, values: dict[str, Any]
) -> None:
    database = app.state.database
    compiled = statement.compiled(database.engine.dialect, values)
    arguments = compiled.arguments(values)
    if database.is_sqlite:
        plan = _sqlite_plan(database.url, compiled.sql, arguments)
        scans = [
            line
            for line in plan
            if line.startswith("SCAN") and any(f"SCAN {t}" in line for t in BIG_TABLES)
        ]
        assert not scans, f"{name}: {plan}"
        assert any("USING" in line for line in plan), f"{name}: {plan}"
        if name in SEEKS_TO_THE_CURSOR:
            # A page after a cursor seeks the index to the cursor, never reads up to it.
            assert any(")>(" in line or ")<(" in line for line in plan), f"{name}: {plan}"
    else:
        pool = await database.direct.pg_pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")
            plan = [row[0] for row in await conn.fetch(f"EXPLAIN {compiled.sql}", *arguments)]
        scans = [line for line in plan if any(f"Seq Scan on {t}" in line for t in BIG_TABLES)]
        assert not scans, f"{name}: {plan}"


def _literal(value: Any) -> str:
    """A bound value as SQL text, for `EXPLAIN EXECUTE` (which takes no parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def test_a_user_events_read_model_write_finds_the_user_by_primary_key(app: FastAPI) -> None:
    # The admin area's row of a created or changed user is written in the change's transaction
    # from the users row, found by the id the change has at hand. Found by (org, environment,
    # partner_id) instead, PostgreSQL's generic plan on a database without statistics yet (a new
    # deployment) used another (org_id, environment, ...) index and read every user of the org
    # on each create (docs/decisions.md, "Every create is a create").
    database = app.state.database
    statement = admin._UPSERTS_BY_USER_ID[database.engine.dialect.name]
    values = {"of_user": uuid.uuid4(), "name_key": "doe jane", "text": "jane doe"}
    values.update(admin._FROM_THE_USERS_ROW)
    compiled = statement.compiled(database.engine.dialect, values)
    arguments = compiled.arguments(values)
    if database.is_sqlite:
        plan = _sqlite_plan(database.url, compiled.sql, arguments)
        assert [line for line in plan if "users" in line] == [
            "SEARCH users USING INDEX sqlite_autoindex_users_1 (id=?)"
        ], plan
    else:
        pool = await database.direct.pg_pool()
        async with pool.acquire() as conn, conn.transaction():
            # The statistics autovacuum keeps of this test database's few users change at
            # moments of its own during the suite, and with a handful of rows any plan costs
            # the same (it chose a sequential scan, or another index that holds `id`, in runs
            # where it had just analyzed the table). So the table gets an org's worth of users
            # and fresh statistics here, undone with the transaction.
            org = await make_org(app)
            await conn.execute(
                "INSERT INTO users (id, org_id, environment, partner_id, anonymous, created_at,"
                " updated_at) SELECT gen_random_uuid(), $1, 'production', 'plan-' || n, false,"
                " now(), now() FROM generate_series(1, 2000) AS n",
                org.id,
            )
            await conn.execute("ANALYZE users")
            # The plan a prepared statement settles on after its first executions.
            await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.execute(f"PREPARE upsert AS {compiled.sql}")
            rows = await conn.fetch(
                f"EXPLAIN EXECUTE upsert({', '.join(_literal(a) for a in arguments)})"
            )
            await conn.execute("DEALLOCATE upsert")
        plan = [row[0] for row in rows]
        scans = [line.strip() for line in plan if "on users" in line]
        assert len(scans) == 1 and "using pk_users on users" in scans[0], plan
