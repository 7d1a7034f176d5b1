"""How requests share the database: reads never wait for a writer, one session per request.

No timing thresholds: the waits below are generous deadlock guards, not performance goals.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import events
from greenroom.core.direct import Executor, Transaction
from greenroom.core.errors import Conflict
from greenroom.core.settings import Settings
from greenroom.core.tenant import Tenant
from tests.conftest import Partner, host_for

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}
GUARD = 20  # seconds: only a deadlock takes this long


@contextmanager
def counted_checkouts(app: FastAPI) -> Iterator[list[str]]:
    """The names of the engines a connection was taken from, while the block runs."""
    taken: list[str] = []
    listeners = []
    for number, engine in enumerate(app.state.database.engines):

        def on_checkout(*_args: object, _name: str = f"engine {number}") -> None:
            taken.append(_name)

        event.listen(engine.sync_engine, "checkout", on_checkout)
        listeners.append((engine, on_checkout))
    try:
        yield taken
    finally:
        for engine, listener in listeners:
            event.remove(engine.sync_engine, "checkout", listener)


@asynccontextmanager
async def write_lock_held(app: FastAPI, partner: Partner) -> AsyncIterator[AsyncSession]:
    """A writer that holds the write lock (SQLite: BEGIN IMMEDIATE, and the process's writer
    connection) until the block ends; commit or roll back in the block."""
    async with app.state.database.writer() as writer:
        await writer.execute(
            text("UPDATE organizations SET name = name WHERE slug = :s"), {"s": partner.org.slug}
        )
        yield writer


async def test_reads_go_on_while_a_write_transaction_is_open(
    app: FastAPI, partner: Partner
) -> None:
    assert (await partner.api.post("/api/users/abc123def", json=JANE)).status_code == 201
    async with write_lock_held(app, partner) as writer:
        for path in ("/api/users/abc123def", "/api/users/abc123def/progress", "/api/users"):
            response = await asyncio.wait_for(partner.api.get(path), GUARD)
            assert response.status_code == 200, path
        # A page of the admin area reads in an ORM reader session: not blocked either.
        page = await asyncio.wait_for(partner.bare.get("/login/admin"), GUARD)
        assert page.status_code == 200
        await writer.rollback()


async def test_a_write_waits_for_the_open_writer_then_goes_through(
    app: FastAPI, partner: Partner
) -> None:
    async with write_lock_held(app, partner) as writer:
        create = asyncio.create_task(partner.api.post("/api/users/waiting", json=JANE))
        await asyncio.sleep(0.05)
        await writer.commit()
    response = await asyncio.wait_for(create, GUARD)
    assert response.status_code == 201


async def test_a_cached_read_opens_no_session_and_a_write_one_transaction(
    app: FastAPI, partner: Partner
) -> None:
    assert (await partner.api.post("/api/users/abc123def", json=JANE)).status_code == 201
    await partner.api.get("/api/users/abc123def")  # the key and the org are cached now
    # Bookkeeping written behind (key uses, from this test or an earlier one) would take a
    # connection about two seconds after it was noted: write it now, outside the count.
    await app.state.authenticator.drain()
    await app.state.websessions_seen.flush()
    with counted_checkouts(app) as taken:
        assert (await partner.api.get("/api/users/abc123def")).status_code == 200
        assert (await partner.api.get("/api/users/abc123def/progress")).status_code == 200
    assert taken == []  # statements on the driver (core/direct.py), no ORM session
    with counted_checkouts(app) as taken:
        assert (await partner.api.post("/api/users/second", json=JANE)).status_code == 201
    assert len(taken) <= 1  # the one transaction of the request (SQLite's writer connection)


@contextmanager
def subscribed(subscriber: events.Subscriber) -> Iterator[None]:
    events.subscribe(subscriber)
    try:
        yield
    finally:
        events._subscribers.remove(subscriber)


async def test_writers_at_the_same_time_all_land(partner: Partner) -> None:
    # On SQLite these share commits (core/direct.py, _SharedCommit); each still gets its answer
    # only once its user is stored.
    responses = await asyncio.wait_for(
        asyncio.gather(*(partner.api.post(f"/api/users/burst-{n}", json=JANE) for n in range(40))),
        GUARD,
    )
    assert [r.status_code for r in responses] == [201] * 40
    listed = (await partner.api.get("/api/users?limit=100")).json()["users"]
    assert {u["partner_id"] for u in listed} == {f"burst-{n}" for n in range(40)}


async def test_a_writer_that_fails_undoes_only_its_own_changes(
    app: FastAPI, partner: Partner
) -> None:
    release = asyncio.Event()

    async def fail_late(
        on: Executor, tenant: Tenant, event_type: str, data: Any, *, user_id: Any
    ) -> None:
        # After its user's INSERT, inside its transaction: the others join while it waits.
        if data.get("user", {}).get("partner_id") == "fails-late":
            await release.wait()
            raise Conflict("This create fails after its INSERT.")

    with subscribed(fail_late):
        failing = asyncio.create_task(partner.api.post("/api/users/fails-late", json=JANE))
        await asyncio.sleep(0.05)
        others = [
            asyncio.create_task(partner.api.post(f"/api/users/lands-{n}", json=JANE))
            for n in range(3)
        ]
        await asyncio.sleep(0.1)
        if app.state.database.is_sqlite:
            # They joined the failing one's transaction: none has answered before it ends.
            assert not any(task.done() for task in others)
        release.set()
        assert (await asyncio.wait_for(failing, GUARD)).status_code == 409
        assert [(await asyncio.wait_for(t, GUARD)).status_code for t in others] == [201] * 3
    assert (await partner.api.get("/api/users/fails-late")).status_code == 404
    for n in range(3):
        assert (await partner.api.get(f"/api/users/lands-{n}")).status_code == 200


async def test_a_failed_commit_reaches_every_writer_that_shared_it(
    app: FastAPI, partner: Partner, settings: Settings
) -> None:
    if not app.state.database.is_sqlite:
        pytest.skip("PostgreSQL's writers do not share a transaction")
    release = asyncio.Event()

    async def break_the_commit(
        on: Executor, tenant: Tenant, event_type: str, data: Any, *, user_id: Any
    ) -> None:
        # A foreign key broken with the check deferred to COMMIT: the shared commit fails.
        if data.get("user", {}).get("partner_id") == "breaks-commit":
            assert isinstance(on, Transaction)
            driver = await on.begin_sqlite()
            await driver.execute("PRAGMA defer_foreign_keys = ON")
            await driver.execute(
                "UPDATE users SET org_id = ? WHERE partner_id = 'breaks-commit'",
                [uuid.uuid4().hex],
            )
            await release.wait()

    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url=f"http://{host_for(settings, partner.org.slug)}",
        headers={"Authorization": partner.key},
    )
    async with api:
        with subscribed(break_the_commit):
            breaking = asyncio.create_task(api.post("/api/users/breaks-commit", json=JANE))
            await asyncio.sleep(0.05)
            other = asyncio.create_task(api.post("/api/users/shares-the-commit", json=JANE))
            await asyncio.sleep(0.1)
            release.set()
            answers = await asyncio.wait_for(asyncio.gather(breaking, other), GUARD)
        # Neither was told its user was stored, and neither was.
        assert [r.status_code for r in answers] == [500, 500]
        for partner_id in ("breaks-commit", "shares-the-commit"):
            assert (await api.get(f"/api/users/{partner_id}")).status_code == 404
        # The writer connection is usable again.
        assert (await api.post("/api/users/after", json=JANE)).status_code == 201


async def test_a_writer_still_lands_when_the_one_whose_transaction_it_joined_is_cancelled(
    app: FastAPI, partner: Partner
) -> None:
    # On SQLite the second create joins the first's transaction while the first waits for the
    # writer connection (held below); the first is cancelled: the second opens its own.
    async with write_lock_held(app, partner) as writer:
        opener = asyncio.create_task(partner.api.post("/api/users/opener", json=JANE))
        await asyncio.sleep(0.05)
        joiner = asyncio.create_task(partner.api.post("/api/users/joiner", json=JANE))
        await asyncio.sleep(0.05)
        opener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await opener
        await writer.commit()
    assert (await asyncio.wait_for(joiner, GUARD)).status_code == 201
    assert (await partner.api.get("/api/users/joiner")).status_code == 200
