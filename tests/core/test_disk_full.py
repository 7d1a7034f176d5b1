"""A database that cannot grow (its disk is full) answers writes 503 `insufficient_storage` with
`Retry-After`, never a 500; reads go on; writes work again once there is room
(docs/operations.md, When the disk is full).

On SQLite the full disk is real as far as SQLite is concerned: `PRAGMA max_page_count` on the
process's one writer connection stops the file from growing, and SQLite answers `SQLITE_FULL`
("database or disk is full") exactly as on a full disk. PostgreSQL's disk cannot be filled
here; its error (`53100 disk_full`) is classified below."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from greenroom.core.outages import is_database_unavailable, is_disk_full

METADATA = {"notes": "x" * 3900}  # near the 4 KB limit: a new page every user or two
PERSON = {"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"}


async def _max_pages(app: FastAPI, pages: int | None) -> None:
    """Let the database file grow no further (`None`: as far as SQLite allows)."""
    async with app.state.database.engine.connect() as conn:  # the process's one writer
        if pages is None:
            pages = 1073741823
        await conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")


async def test_writes_to_a_full_database_are_503_reads_go_on_and_room_brings_writes_back(
    app, partner
) -> None:
    if not app.state.database.is_sqlite:
        pytest.skip("PostgreSQL's disk cannot be filled here (see the classification test)")
    api = partner.api
    assert (await api.post("/api/users/before", json=PERSON)).status_code == 201
    async with app.state.database.engine.connect() as conn:
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
    await _max_pages(app, pages)
    try:
        statuses = []
        # The file's free pages fill first; then no write fits.
        for n in range(2000):
            response = await api.post(f"/api/users/full-{n}", json=PERSON | {"metadata": METADATA})
            statuses.append(response.status_code)
            if response.status_code != 201:
                break
        assert statuses[-1] == 503, statuses[-5:]
        assert set(statuses[:-1]) <= {201}
        problem = response.json()
        assert problem["code"] == "insufficient_storage"
        assert response.headers["retry-after"] == "300"
        # Reads are served meanwhile; the refused write left nothing behind.
        assert (await api.get("/api/users/before")).status_code == 200
        assert (await api.get(f"/api/users/full-{len(statuses) - 1}")).status_code == 404
    finally:
        await _max_pages(app, None)
    # Room again: writes again, no restart.
    again = await api.post(f"/api/users/full-{len(statuses) - 1}", json=PERSON)
    assert again.status_code == 201, again.text


def test_disk_full_errors_are_told_apart() -> None:
    # A real SQLITE_FULL from a real SQLite database that may not grow.
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as raised:
        for _ in range(10):
            conn.execute("INSERT INTO t VALUES (zeroblob(4000))")
    conn.close()
    wrapped = sa_exc.OperationalError("INSERT", None, raised.value)
    assert is_disk_full(wrapped) and not is_database_unavailable(wrapped)
    assert is_disk_full(sa_exc.DBAPIError("INSERT", None, asyncpg.exceptions.DiskFullError()))
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(sa_exc.OperationalError("INSERT", None, Exception("locked")))
    assert not is_disk_full(sa_exc.IntegrityError("INSERT", None, Exception("dup")))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
