"""Long work yields: an import writes in small transactions, and the API's writes go through
between two of its batches (issue 14, "Long work yields"). On SQLite, where a process has one
write connection, an import holding its transaction across batches would keep the API write
waiting until the end; on PostgreSQL its first batch would not be visible. No timing involved:
the import is held between its first and second batch while the test looks."""

from __future__ import annotations

import asyncio

import pytest

from greenroom.admin_area import imports
from greenroom.jobs import JobContext
from tests.admin_area.test_import import PAGE, upload
from tests.factories import make_key

ROWS, BATCH = 15, 5


async def test_an_api_write_completes_between_two_batches_of_a_running_import(
    app, area, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH", BATCH)
    between_batches, go_on = asyncio.Event(), asyncio.Event()
    pauses: list[JobContext] = []

    async def hold_after_the_first_batch(ctx: JobContext) -> None:
        pauses.append(ctx)
        if len(pauses) == 2:  # the first pause comes before the first batch
            between_batches.set()
            await go_on.wait()

    monkeypatch.setattr(app.state.jobs, "on_pause", hold_after_the_first_batch)
    content = b"partner_id,email,first_name,last_name\n" + b"".join(
        f"row{i},row{i}@xyz.example.com,R{i},S{i}\n".encode() for i in range(ROWS)
    )
    uploading = asyncio.create_task(upload(area.browser, content))
    await asyncio.wait_for(between_batches.wait(), 60)  # (a bound on a hang, not a measure)
    import_id = pauses[0].payload["import_id"]

    # The import is running, one batch in; the API writes and reads meanwhile.
    api = client_for(area.org.slug, headers={"Authorization": await make_key(app, area.org)})
    written = await asyncio.wait_for(
        api.post(
            "/api/users/written-meanwhile",
            json={"email": "w@xyz.example.com", "first_name": "W", "last_name": "M"},
        ),
        60,
    )
    assert written.status_code == 201, written.text
    status = (await area.browser.get(f"{PAGE}/{import_id}/status")).json()
    assert (status["status"], status["processed"], status["total"]) == ("running", BATCH, ROWS)
    # The first batch is committed: its users are there for the API already.
    assert (await api.get("/api/users/row0")).status_code == 200
    assert (await api.get(f"/api/users/row{ROWS - 1}")).status_code == 404

    go_on.set()
    response = await asyncio.wait_for(uploading, 60)
    assert response.status_code == 303
    status = (await area.browser.get(f"{PAGE}/{import_id}/status")).json()
    assert (status["status"], status["processed"], status["created"]) == ("done", ROWS, ROWS)
    assert (await api.get("/api/users/written-meanwhile")).json()["user"]["first_name"] == "W"
    assert len(pauses) == ROWS // BATCH
