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
