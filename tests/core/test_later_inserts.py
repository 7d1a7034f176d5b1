"""Inserts whose outcome nothing reads (`core.direct.execute_later`): on PostgreSQL they go to
the server together, as one statement, before the transaction's next statement or its commit.

What must hold on both databases: the transaction's next statement sees them, an insert that
reads a table an earlier queued one writes sees its rows, and one that fails fails the whole
transaction and leaves nothing. On PostgreSQL, which statement wrote a row shows in its `cmin`
(the number of the statement within its transaction that inserted it).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.dialects import postgresql

from greenroom.admin_area import repository as students
from greenroom.core import clock
from greenroom.core.db import table_of
from greenroom.core.direct import Direct, Statement, execute_later
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from greenroom.webhooks import repository as webhooks
from tests.conftest import Partner

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}
PUBLIC_URL = "https://93.184.215.14/hooks"
GUARD = 20  # seconds: only a connection never given back takes this long

_INSERT_USER = Statement(insert(table_of(User)))
_USER = Statement(select(User.id).where(User.id == bindparam("id")))
_ORG = Statement(select(Organization.id).where(Organization.id == bindparam("id")))


def _direct(app: FastAPI) -> Direct:
    direct = app.state.database.direct
    assert isinstance(direct, Direct)
    return direct


def _user(org: Any, partner_id: str) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": uuid.uuid4(),
        "org_id": org.id,
        "environment": "production",
        "partner_id": partner_id,
        "anonymous": False,
        "created_at": now,
        "updated_at": now,
    }


async def _statement_numbers(app: FastAPI, sql: str, **params: Any) -> list[int]:
    async with app.state.sessionmaker() as session:
        return [int(n) for n in (await session.execute(text(sql), params)).scalars()]


async def test_a_create_sends_its_token_outbox_and_read_model_rows_in_one_statement(
    app: FastAPI, partner: Partner
) -> None:
    hooked = await partner.api.post("/api/webhooks", json={"url": PUBLIC_URL})
    assert hooked.status_code == 201, hooked.text
    created = await partner.api.post("/api/users/one-trip", json=JANE)
    assert created.status_code == 201, created.text
    assert created.json()["user"]["partner_id"] == "one-trip"

    async with app.state.sessionmaker() as session:
        user_id = (
            await session.execute(select(User.id).where(User.partner_id == "one-trip"))
        ).scalar_one()
    # Every row the create queued is there, with the values it was given.
    where = {"user": user_id.hex if app.state.database.is_sqlite else user_id}
    counts = [
        await _statement_numbers(
            app, f"SELECT count(*) FROM {table} WHERE user_id = :user", **where
        )
        for table in ("sso_tokens", "admin_students")
    ]
    assert counts == [[1], [1]]

    if app.state.database.is_sqlite:
        return  # statements have no round trip there: each ran at once
    user = await _statement_numbers(app, "SELECT cmin FROM users WHERE id = :user", **where)
    queued = [
        *await _statement_numbers(
            app, "SELECT cmin FROM sso_tokens WHERE user_id = :user", **where
        ),
        *await _statement_numbers(
            app, "SELECT cmin FROM admin_students WHERE user_id = :user", **where
        ),
        *await _statement_numbers(
            app,
            "SELECT m.cmin FROM webhook_messages m WHERE m.body LIKE '%\"one-trip\"%'",
        ),
        *await _statement_numbers(
            app,
            "SELECT d.cmin FROM webhook_deliveries d JOIN webhook_messages m"
            " ON m.id = d.message_id WHERE m.body LIKE '%\"one-trip\"%'",
        ),
    ]
    # Four rows in four tables, written by one statement after the user's own.
    assert len(queued) == 4 and len(set(queued)) == 1, queued
    assert queued[0] > user[0]


async def test_the_next_statement_sees_what_was_queued(app: FastAPI, partner: Partner) -> None:
    values = _user(partner.org, "queued-then-read")
    async with _direct(app).transaction() as transaction:
        await execute_later(transaction, _INSERT_USER, values)
        seen = await transaction.execute(_USER, {"id": values["id"]})
    assert [row["id"] for row in seen.rows] == [values["id"]]
    assert (await partner.api.get("/api/users/queued-then-read")).status_code == 200


async def test_an_insert_that_reads_a_queued_insert_s_table_sees_its_rows(
    app: FastAPI, partner: Partner
) -> None:
    # The read model's row is written by INSERT ... SELECT from the users row: sent in one
    # statement with the user's insert, it would find no user and silently write nothing.
    values = _user(partner.org, "queued-twice")
    async with _direct(app).transaction() as transaction:
        await execute_later(transaction, _INSERT_USER, values)
        await students.upsert_student_of_user(
            transaction, values["id"], {"name_key": "x", "text": "x"}
        )
    where = {"user": values["id"].hex if app.state.database.is_sqlite else values["id"]}
    assert await _statement_numbers(
        app, "SELECT count(*) FROM admin_students WHERE user_id = :user", **where
    ) == [1]
    if not app.state.database.is_sqlite:
        user = await _statement_numbers(app, "SELECT cmin FROM users WHERE id = :user", **where)
        student = await _statement_numbers(
            app, "SELECT cmin FROM admin_students WHERE user_id = :user", **where
        )
        assert student[0] > user[0]


async def test_a_queued_insert_that_fails_fails_its_transaction_and_leaves_nothing(
    app: FastAPI, partner: Partner
) -> None:
    direct = _direct(app)

    async def failing(number: int) -> None:
        values = _user(partner.org, f"never-stored-{number}")
        no_such_org = {**_user(partner.org, f"in-no-org-{number}"), "org_id": uuid.uuid4()}
        async with direct.transaction() as transaction:
            await transaction.execute(_INSERT_USER, values)
            # Its foreign key fails: on SQLite here, on PostgreSQL when the queue is sent, as
            # the block ends.
            await execute_later(transaction, _INSERT_USER, no_such_org)

    # More failures than the PostgreSQL pool has connections: each gives its connection back.
    for number in range(12):
        with pytest.raises((sqlite3.IntegrityError, asyncpg.ForeignKeyViolationError)):
            await asyncio.wait_for(failing(number), GUARD)
        assert (await partner.api.get(f"/api/users/never-stored-{number}")).status_code == 404
        if not direct.is_sqlite:
            assert (await direct.pg_pool()).lent == 0
    async with direct.transaction() as transaction:
        found = await asyncio.wait_for(transaction.execute(_ORG, {"id": partner.org.id}), GUARD)
    assert len(found.rows) == 1


def test_only_inserts_that_can_be_parts_of_one_statement_are_queued() -> None:
    # Renumbering parameters is safe only for $1..$n of SQLAlchemy's own; a statement's WITH
    # cannot follow the parts'; SQL text may read tables the queue cannot see.
    dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
    users = table_of(User)
    values = _user(type("Org", (), {"id": uuid.uuid4()})(), "x")
    assert _INSERT_USER.compiled(dialect, values).combinable
    recent = select(users.c.id).limit(1).cte("recent")
    with_cte = Statement(insert(users).add_cte(recent))
    assert not with_cte.compiled(dialect, values).combinable
    with_text = Statement(insert(users).values(partner_id=text("'a$1'")))
    assert not with_text.compiled(dialect, values).combinable


async def test_an_insert_that_cannot_be_a_part_runs_at_once_and_intact(
    app: FastAPI, partner: Partner
) -> None:
    values = _user(partner.org, "unused")
    literal = Statement(insert(table_of(User)).values(partner_id=text("'a$1'")))
    message = {
        "id": uuid.uuid4(),
        "org_id": partner.org.id,
        "environment": "production",
        "event_type": "user.created",
        "body": "{}",
        "created_at": clock.now(),
    }
    async with _direct(app).transaction() as transaction:
        await execute_later(transaction, webhooks._INSERT_MESSAGE, message)
        await execute_later(transaction, literal, values)
    async with app.state.sessionmaker() as session:
        stored = (
            await session.execute(select(User.partner_id).where(User.id == values["id"]))
        ).scalar_one()
    assert stored == "a$1"  # not renumbered as if it were a parameter
