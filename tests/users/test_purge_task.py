"""The server's own periodic purge (recordings of the purged users go too)."""

from __future__ import annotations

from datetime import timedelta

from asgi_lifespan import LifespanManager
from sqlalchemy import select

from greenroom.app import create_app
from greenroom.core import clock
from greenroom.practice.storage import user_folder
from greenroom.users.models import User
from greenroom.users.tasks import purge_forever
from tests.factories import make_org
from tests.practice.helpers import WEBM


async def test_the_lifespan_starts_the_purge_and_stops_it(settings) -> None:
    worker_settings = settings.model_copy(update={"run_worker": True})
    application = create_app(worker_settings, configure_logs=False)
    async with LifespanManager(application):
        tasks = application.state.background_tasks
        # The purge, the sweep for abandoned import jobs, and on SQLite the WAL checkpoints.
        expected = {"purge", "import sweep"} | (
            {"checkpoints"} if "sqlite" in settings.resolved_database_url else set()
        )
        assert {task.get_name() for task in tasks} == expected
        assert not any(task.done() for task in tasks)
    assert all(task.cancelled() for task in tasks)


async def test_a_round_of_the_periodic_purge_deletes_expired_anonymous_users(
    app, api_for, db
) -> None:
    org = await make_org(app, anonymous=True)
    api = await api_for(org)
    anonymous = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    folder = user_folder(org.id, "production", anonymous)
    recording = app.state.storage.path(app.state.storage.save(folder, "webm", WEBM))
    clock.advance(timedelta(hours=24, seconds=1))
    await purge_forever(app.state.sessionmaker, 0, rounds=1)
    rows = (await db.execute(select(User).where(User.org_id == org.id))).scalars().all()
    assert rows == []
    assert not recording.exists()
