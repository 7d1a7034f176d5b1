"""`greenroom purge` deletes expired anonymous users, with their recordings, and nobody else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from greenroom.core import clock, events
from greenroom.practice import cleanup
from greenroom.practice.storage import user_folder
from greenroom.users.models import User
from tests.factories import make_org
from tests.practice.helpers import WEBM
from tests.users.helpers import JANE


async def test_purge_cli(app, api_for, cli, db, monkeypatch) -> None:
    org = await make_org(app, anonymous=True)
    api = await api_for(org)
    anonymous = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    await api.post("/api/users/abc123def", json=JANE)
    folder = user_folder(org.id, "production", anonymous)
    recording = app.state.storage.path(app.state.storage.save(folder, "webm", WEBM))
    # The CLI runs in its own process-wide clock, so make the row expired in the database.
    async with app.state.sessionmaker() as session, session.begin():
        for user in (await session.execute(select(User).where(User.org_id == org.id))).scalars():
            if user.anonymous:
                user.expires_at = clock.now() - timedelta(seconds=1)
    # The CLI runs in this process, where the app subscribed its own cleanup: hide that one.
    apps = set(cleanup._registered.values())
    monkeypatch.setattr(events, "_subscribers", [s for s in events._subscribers if s not in apps])
    monkeypatch.setattr(cleanup, "_registered", {})
    result = await cli("purge")
    assert result.exit_code == 0, result.output
    assert "purged" in result.output
    rows = (await db.execute(select(User.partner_id).where(User.org_id == org.id))).scalars().all()
    assert rows == ["abc123def"]
    assert not recording.exists()


async def test_purge_in_a_process_of_its_own_announces_the_deleted_users(
    app, api_for, settings, db
) -> None:
    """Subscribers are registered where the CLI starts, not by whatever happens to be
    imported: a bare `greenroom purge` process queues `user.deleted` for the org's webhooks."""
    import os
    import subprocess
    import sys

    from greenroom.webhooks.models import WebhookDelivery

    org = await make_org(app, anonymous=True)
    api = await api_for(org)
    hook = await api.post("/api/webhooks", json={"url": "https://hooks.example.com/purge"})
    assert hook.status_code == 201
    await api.post("/api/users/anonymous")
    async with app.state.sessionmaker() as session, session.begin():
        for user in (await session.execute(select(User).where(User.org_id == org.id))).scalars():
            user.expires_at = clock.now() - timedelta(seconds=1)
    env = {
        **os.environ,
        "GREENROOM_DATABASE_URL": settings.resolved_database_url,
        "GREENROOM_DATA_DIR": str(settings.data_dir),
        "GREENROOM_SECRETS": settings.secrets.get_secret_value(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "greenroom", "purge"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    deleted = (
        (
            await db.execute(
                select(WebhookDelivery.event_type).where(
                    WebhookDelivery.org_id == org.id, WebhookDelivery.event_type == "user.deleted"
                )
            )
        )
        .scalars()
        .all()
    )
    assert deleted == ["user.deleted"]


def test_importing_the_features_subscribes_nothing() -> None:
    """Reactions to events exist because `subscribers.subscribe_all` registered them, never
    because a module was imported."""
    import subprocess
    import sys

    code = (
        "import greenroom.app, greenroom.cli.purge, greenroom.webhooks.service\n"
        "from greenroom.core import events\n"
        "assert events._subscribers == [], events._subscribers\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
