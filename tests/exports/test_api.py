"""`POST /api/users/{partner_id}/export`, its state and its download: a ZIP of the user's data
and recordings, ready in the background, downloadable for 24 hours by the org's keys only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from greenroom import jobs
from greenroom.core import clock
from greenroom.exports import archive, service
from greenroom.jobs import Stopping
from greenroom.keys.scopes import ALL_SCOPES, Scope
from greenroom.practice.storage import user_folder
from tests.admin_area.conftest import Area
from tests.exports.helpers import check_contents, export_row, practised, runner, sweeper
from tests.factories import make_key, make_org
from tests.practice.helpers import make_user, recorded_events


async def _api(app: Any, client_for: Any, org: Any, **kwargs: Any) -> Any:
    return client_for(org.slug, headers={"Authorization": await make_key(app, org, **kwargs)})


async def test_an_export_is_built_in_the_background_and_downloads_as_a_zip(
    app, area: Area, client_for, settings
) -> None:
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)
    hook = await api.post(
        "/api/webhooks", json={"url": "https://93.184.215.14/hook", "events": ["user.exported"]}
    )
    assert hook.status_code == 201, hook.text
    with recorded_events(student.partner_id) as seen:
        started = await api.post(f"/api/users/{student.partner_id}/export")
    assert started.status_code == 202, started.text
    export = started.json()["export"]
    assert export["state"] == "pending" and export["download_url"] is None
    assert started.headers["location"] == f"/api/users/abc123def/exports/{export['id']}"

    # The job ran after the response (in this process): the export is ready.
    polled = await api.get(started.headers["location"])
    assert polled.status_code == 200, polled.text
    ready = polled.json()["export"]
    assert ready["state"] == "ready" and ready["error"] is None
    assert ready["download_url"] == f"/api/users/abc123def/exports/{export['id']}/download"
    assert clock.now() + timedelta(hours=23) < _time(ready["expires_at"])
    assert _time(ready["expires_at"]) <= clock.now() + timedelta(hours=24)

    downloaded = await api.get(ready["download_url"])
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "application/zip"
    assert "attachment" in downloaded.headers["content-disposition"]
    assert int(downloaded.headers["content-length"]) == ready["size_bytes"]
    check_contents(downloaded.content, student)

    # On disk under the data directory, in the user's folder.
    files = list((settings.data_dir / "exports").glob(f"*/{export['id'].replace('-', '')}.zip"))
    assert len(files) == 1 and files[0].read_bytes() == downloaded.content

    # `user.exported` went out once, with the ready export.
    exported = [data for kind, data in seen if kind == "user.exported"]
    assert exported == [{"export": ready}]
    # ... queued for the endpoint that wants it (the outbox).
    deliveries = await api.get(f"/api/webhooks/{hook.json()['webhook']['id']}/deliveries")
    assert [d["event_type"] for d in deliveries.json()["deliveries"]] == ["user.exported"]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_the_download_lasts_24_hours_then_the_sweep_deletes_the_file(
    app, area: Area, client_for
) -> None:
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)
    export = (await api.post(f"/api/users/{student.partner_id}/export")).json()["export"]
    location = f"/api/users/{student.partner_id}/exports/{export['id']}"
    row = await export_row(app, export["id"])
    assert row.file_key is not None
    path = app.state.exports.path(row.file_key)
    sweep = sweeper(app)
    await sweep.ensure_periodic()  # what every runner does when it starts

    clock.advance(timedelta(hours=23, minutes=59))
    assert (await api.get(f"{location}/download")).status_code == 200
    assert path.exists()

    clock.advance(timedelta(minutes=2))
    expired = (await api.get(location)).json()["export"]
    assert expired["state"] == "expired" and expired["download_url"] is None
    gone = await api.get(f"{location}/download")
    assert gone.status_code == 404 and gone.json()["code"] == "export_expired"
    await sweep.run_until_idle()
    assert not path.exists()
    row = await export_row(app, export["id"])
    assert row.state == "expired" and row.file_key is None
    assert (await api.get(location)).json()["export"]["state"] == "expired"
    # A new one can be asked for.
    again = await api.post(f"/api/users/{student.partner_id}/export")
    assert again.status_code == 202 and again.json()["export"]["id"] != export["id"]


async def test_only_the_orgs_keys_with_users_read_reach_an_export(
    app, area: Area, client_for
) -> None:
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)
    export = (await api.post(f"/api/users/{student.partner_id}/export")).json()["export"]
    location = f"/api/users/{student.partner_id}/exports/{export['id']}"
    # Another org's key, on its own host and with a user of the same partner_id: 404.
    other = await make_org(app)
    await make_user(app, other, partner_id=student.partner_id)
    stranger = await _api(app, client_for, other)
    for path in (location, f"{location}/download"):
        refused = await stranger.get(path)
        assert refused.status_code == 404 and refused.json()["code"] == "export_not_found"
    # The org's sandbox key: another environment, no such user.
    sandbox = client_for(
        area.org.slug,
        "sandbox",
        headers={"Authorization": await make_key(app, area.org, environment="sandbox")},
    )
    assert (await sandbox.get(f"{location}/download")).status_code == 404
    # A key without users:read: 403, for all three.
    narrow = await _api(app, client_for, area.org, scopes=ALL_SCOPES - {Scope.USERS_READ})
    for response in (
        await narrow.post(f"/api/users/{student.partner_id}/export"),
        await narrow.get(location),
        await narrow.get(f"{location}/download"),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "insufficient_scope"
    # Unknown user, unknown export.
    unknown = await api.post("/api/users/nobody-here/export")
    assert unknown.status_code == 404 and unknown.json()["code"] == "user_not_found"
    for missing in ("7c1e4b2a-5d3f-4e6a-9b8c-0d1e2f3a4b5c", "not-a-uuid"):
        response = await api.get(f"/api/users/{student.partner_id}/exports/{missing}")
        assert response.status_code == 404 and response.json()["code"] == "export_not_found"


async def test_a_stopped_export_job_resumes_and_a_rerun_changes_nothing(
    app, area: Area, client_for
) -> None:
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)

    async def stop(_ctx) -> None:
        raise Stopping("the process is stopping")

    app.state.jobs.on_pause = stop  # the process stops at the job's first pause
    try:
        with recorded_events(student.partner_id) as seen:
            started = await api.post(f"/api/users/{student.partner_id}/export")
    finally:
        app.state.jobs.on_pause = None
    export = started.json()["export"]
    location = started.headers["location"]
    assert (await api.get(location)).json()["export"]["state"] == "running"
    assert (await api.get(f"{location}/download")).json()["code"] == "export_not_ready"

    with recorded_events(student.partner_id) as seen:
        assert (await runner(app, area.org).run_until_idle())["jobs"] == 1
        ready = (await api.get(location)).json()["export"]
        assert ready["state"] == "ready"
        first = (await api.get(ready["download_url"])).content
        check_contents(first, student)
        # The same job again (a process died after its work committed): nothing changes.
        async with app.state.sessionmaker() as session, session.begin():
            await jobs.enqueue(
                session, service.KIND, {"export_id": export["id"]}, org_id=area.org.id,
                environment="production",
            )  # fmt: skip
        assert (await runner(app, area.org).run_until_idle())["jobs"] == 1
        assert (await api.get(location)).json()["export"] == ready
        assert (await api.get(ready["download_url"])).content == first
    assert [kind for kind, _ in seen].count("user.exported") == 1


async def test_asking_again_while_one_runs_answers_that_one(app, area: Area, client_for) -> None:
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)

    async def stop(_ctx) -> None:
        raise Stopping("the process is stopping")

    app.state.jobs.on_pause = stop
    try:
        first = (await api.post(f"/api/users/{student.partner_id}/export")).json()["export"]
        second = await api.post(f"/api/users/{student.partner_id}/export")
    finally:
        app.state.jobs.on_pause = None
    assert second.status_code == 202 and second.json()["export"]["id"] == first["id"]


async def test_erasing_the_user_deletes_their_export_files(app, area: Area, client_for) -> None:
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)
    export = (await api.post(f"/api/users/{student.partner_id}/export")).json()["export"]
    row = await export_row(app, export["id"])
    assert row.file_key is not None
    path = app.state.exports.path(row.file_key)
    assert path.exists()
    assert (await api.delete(f"/api/users/{student.partner_id}")).status_code == 204
    assert not path.exists() and not path.parent.exists()


async def test_a_user_erased_while_their_export_is_built_leaves_no_folder(
    app, area: Area, client_for
) -> None:
    # The user is deleted at the job's first pause, between reading the user's data and writing
    # the ZIP: the file is written, not kept, and the folder it made for it goes too.
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)
    folder = app.state.exports.root / user_folder(area.org.id, "production", student.partner_id)
    erased: list[int] = []

    async def erase_once(_ctx) -> None:
        if not erased:
            erased.append((await api.delete(f"/api/users/{student.partner_id}")).status_code)

    app.state.jobs.on_pause = erase_once
    try:
        started = await api.post(f"/api/users/{student.partner_id}/export")
        assert started.status_code == 202
        await runner(app, area.org).run_until_idle()
    finally:
        app.state.jobs.on_pause = None
    assert erased == [204]
    assert (await api.get(started.headers["location"])).status_code == 404
    assert not folder.exists()


async def test_a_user_erased_while_the_zip_is_written_ends_the_job_quietly(
    app, area: Area, client_for, monkeypatch, caplog
) -> None:
    # The user is deleted while the ZIP is being written (here: when the archive asks for its
    # documents, after the recordings): their folder goes, and the file cannot be put in place.
    # The job ends there, without a failure logged or a retry.
    student = await practised(app, client_for, area)
    api = await _api(app, client_for, area.org)
    loop = asyncio.get_running_loop()
    write_zip = archive.write_zip
    erased: list[int] = []

    def write_while_erased(target, media, documents, storage, *, when):
        def erase_then(missing):
            delete = api.delete(f"/api/users/{student.partner_id}")
            erased.append(asyncio.run_coroutine_threadsafe(delete, loop).result().status_code)
            return documents(missing)

        return write_zip(target, media, erase_then, storage, when=when)

    monkeypatch.setattr(archive, "write_zip", write_while_erased)
    app.state.jobs.on_pause = _stop_once()
    try:
        started = await api.post(f"/api/users/{student.partner_id}/export")
    finally:
        app.state.jobs.on_pause = None
    caplog.clear()
    assert (await runner(app, area.org).run_until_idle())["jobs"] == 1
    assert erased == [204]
    assert (await api.get(started.headers["location"])).status_code == 404
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    folder = app.state.exports.root / user_folder(area.org.id, "production", student.partner_id)
    assert not folder.exists()


def _stop_once() -> Callable[[Any], Awaitable[None]]:
    """An `on_pause` hook that stops the job at its first pause (the request that started it
    answers; the test's runner then runs it)."""
    stopped: list[bool] = []

    async def stop(_ctx: Any) -> None:
        if not stopped:
            stopped.append(True)
            raise Stopping("the process is stopping")

    return stop
