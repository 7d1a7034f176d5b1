"""The server's own periodic purge, a job of the runner (recordings of the purged users go too)."""

from __future__ import annotations

from datetime import timedelta

from asgi_lifespan import LifespanManager
from sqlalchemy import select

from greenroom.app import create_app
from greenroom.core import clock
from greenroom.jobs import Registry, Runner
from greenroom.practice.storage import user_folder
from greenroom.users import tasks
from greenroom.users.models import User
from tests.factories import make_org
from tests.practice.helpers import WEBM


async def test_the_lifespan_starts_the_jobs_runner_and_stops_it(settings) -> None:
    worker_settings = settings.model_copy(update={"run_worker": True})
    application = create_app(worker_settings, configure_logs=False)
    async with LifespanManager(application):
        running = application.state.background_tasks
        # The jobs runner (the purge among its periodic jobs), and on SQLite the WAL checkpoints.
        expected = {"jobs"} | (
            {"checkpoints"} if "sqlite" in settings.resolved_database_url else set()
        )
        assert {task.get_name() for task in running} == expected
        assert not any(task.done() for task in running)
        assert tasks.KIND in application.state.jobs.kinds
    assert all(task.done() for task in running)
    assert application.state.jobs.stopping


async def test_a_round_of_the_periodic_purge_deletes_expired_anonymous_users(
    app, api_for, db
) -> None:
    org = await make_org(app, anonymous=True)
    api = await api_for(org)
    anonymous = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    folder = user_folder(org.id, "production", anonymous)
    recording = app.state.storage.path(app.state.storage.save(folder, "webm", WEBM))
    registry = Registry()
    tasks.register(registry, app.state.settings)
    runner = Runner(app.state.sessionmaker, registry)
    await runner.ensure_periodic()  # what every runner does when it starts
    clock.advance(timedelta(hours=24, seconds=1))
    assert (await runner.run_until_idle())["jobs"] == 1  # this round's
    assert (await runner.run_until_idle())["jobs"] == 0  # the next one is an interval away
    rows = (await db.execute(select(User).where(User.org_id == org.id))).scalars().all()
    assert rows == []
    assert not recording.exists()
