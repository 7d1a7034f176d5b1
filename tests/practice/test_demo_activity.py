from __future__ import annotations

from greenroom.content.loader import get_pack
from greenroom.practice.demo import LEVELS, seed_activity
from greenroom.progress import service as progress
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from tests.factories import make_org
from tests.practice.helpers import make_user


async def test_demo_levels_give_distinct_progress_and_run_once(app, settings) -> None:
    org = await make_org(app)
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    pack = get_pack(None)  # the shipped pack, as the demo uses
    results = {}
    for name, activity in LEVELS.items():
        user = await make_user(app, org)
        for _ in range(2):  # a second run changes nothing
            async with app.state.sessionmaker() as session, session.begin():
                await seed_activity(session, tenant, user, pack, activity)
        async with app.state.sessionmaker() as session:
            row = await progress.row_for(session, user)
            results[name] = progress.to_public(user, row, pack)
    assert results["new"]["lessons"]["completed"] == 0
    assert results["started"]["practice_interviews"] == {"started": 1, "completed": 0}
    assert results["busy"]["lessons"]["completed"] == 7
    nearly = results["nearly-done"]
    assert nearly["practice_interviews"] == {"started": 3, "completed": 3}
    assert nearly["average_rating"] is not None and 4 <= nearly["average_rating"] <= 5
    assert len({r["percent_complete"] for r in results.values()}) == 4


async def test_the_demo_org_has_users_with_varied_progress(app, settings, client_for) -> None:
    from greenroom.demo import DEMO_SLUG, DEMO_USERS, seed_demo
    from greenroom.tenancy import repository as orgs_repo
    from tests.factories import make_key

    for _ in range(2):
        async with app.state.sessionmaker() as session, session.begin():
            await seed_demo(session, settings)
    async with app.state.sessionmaker() as session:
        org = await orgs_repo.get_by_slug(session, DEMO_SLUG)
    assert org is not None
    key = await make_key(app, org)
    api = client_for(DEMO_SLUG)
    percents = []
    for partner_id, _, _ in DEMO_USERS:
        response = await api.get(
            f"/api/users/{partner_id}/progress", headers={"Authorization": key}
        )
        assert response.status_code == 200
        p = response.json()["progress"]
        percents.append(
            (
                p["lessons"]["completed"],
                p["practice_interviews"]["completed"],
                p["answers_recorded"],
            )
        )
    assert len(set(percents)) == len(DEMO_USERS)
