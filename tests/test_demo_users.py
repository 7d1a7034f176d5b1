"""The demo org gets a few users, through the users service, and re-runs add none."""

from __future__ import annotations

from sqlalchemy import select

from greenroom.demo import DEMO_SLUG, DEMO_USERS, seed_demo
from greenroom.tenancy import repository as orgs_repo
from greenroom.users.models import User


async def test_demo_seeds_its_users_once(app, settings) -> None:
    for _ in range(2):
        async with app.state.sessionmaker() as session, session.begin():
            info = await seed_demo(session, settings)
    assert any("abc123def" in line for line in info.lines)
    async with app.state.sessionmaker() as session:
        org = await orgs_repo.get_by_slug(session, DEMO_SLUG)
        assert org is not None
        rows = (await session.execute(select(User).where(User.org_id == org.id))).scalars().all()
    pairs = sorted((u.environment, u.partner_id) for u in rows)
    expected = sorted((env, p) for env in ("production", "sandbox") for p, _, _ in DEMO_USERS)
    assert pairs == expected
    assert all(u.email and u.first_name for u in rows)
