"""How requests share the database: reads never wait for a writer, one session per request.

No timing thresholds: the waits below are generous deadlock guards, not performance goals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy import event, text

from tests.conftest import Partner

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


async def test_reads_go_on_while_a_write_transaction_is_open(
    app: FastAPI, partner: Partner
) -> None:
    assert (await partner.api.post("/api/users/abc123def", json=JANE)).status_code == 201
    async with app.state.database.writer() as writer:
        # A writer holds the write lock (SQLite: BEGIN IMMEDIATE) and does not let go.
        await writer.execute(
            text("UPDATE organizations SET name = name WHERE slug = :s"), {"s": partner.org.slug}
        )
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
    async with app.state.database.writer() as writer:
        await writer.execute(
            text("UPDATE organizations SET name = name WHERE slug = :s"), {"s": partner.org.slug}
        )
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
    with counted_checkouts(app) as taken:
        assert (await partner.api.get("/api/users/abc123def")).status_code == 200
        assert (await partner.api.get("/api/users/abc123def/progress")).status_code == 200
    assert taken == []  # statements on the driver (core/direct.py), no ORM session
    with counted_checkouts(app) as taken:
        assert (await partner.api.post("/api/users/second", json=JANE)).status_code == 201
    assert len(taken) <= 1  # the one transaction of the request (SQLite's writer connection)
