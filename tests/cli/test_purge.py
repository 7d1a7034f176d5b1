"""`greenroom purge` deletes expired anonymous users and nobody else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from greenroom.core import clock
from greenroom.users.models import User
from tests.factories import make_key, make_org
from tests.users.helpers import JANE


async def test_purge_cli(app, client_for, cli, db) -> None:
    org = await make_org(app, anonymous=True)
    api = client_for(org.slug, headers={"Authorization": await make_key(app, org)})
    await api.post("/api/users/anonymous")
    await api.post("/api/users/abc123def", json=JANE)
    # The CLI runs in its own process-wide clock, so make the row expired in the database.
    async with app.state.sessionmaker() as session, session.begin():
        for user in (await session.execute(select(User).where(User.org_id == org.id))).scalars():
            if user.anonymous:
                user.expires_at = clock.now() - timedelta(seconds=1)
    result = await cli("purge")
    assert result.exit_code == 0, result.output
    assert "purged" in result.output
    rows = (await db.execute(select(User.partner_id).where(User.org_id == org.id))).scalars().all()
    assert rows == ["abc123def"]
