"""Interviews as Big Interview's clients read them (issue 16, item 5): an integer `id` unique per
org, and every interview in one answer unless a page is asked for."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from greenroom.core import clock
from greenroom.core.db import table_of
from greenroom.core.migrate import alembic_config, upgrade
from greenroom.practice.models import Interview, InterviewCounter
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from tests import pg
from tests.factories import make_key, make_org
from tests.practice.helpers import Member, make_user, recorded_events, signed_in


async def _member(app, client_for, org, user) -> Member:
    browser = client_for(org.slug)
    await signed_in(app, browser, org, user)
    return Member(browser)


async def test_a_user_with_55_interviews_gets_all_of_them_newest_first(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    user = await make_user(app, org)
    member = await _member(app, client_for, org, user)
    for n in range(55):
        await member.start("basics" if n % 2 else "teamwork")
        clock.advance(timedelta(seconds=1))
    api = client_for(org.slug, headers={"Authorization": key})

    response = await api.get(f"/api/users/{user.partner_id}/interviews")
    assert response.status_code == 200, response.text
    body = response.json()
    interviews = body["interviews"]
    assert len(interviews) == 55 and body["next_cursor"] is None
    assert [i["id"] for i in interviews] == list(range(55, 0, -1))
    assert all(isinstance(i["id"], int) and not isinstance(i["id"], bool) for i in interviews)
    times = [i["updated_at"] for i in interviews]
    assert times == sorted(times, reverse=True)

    # Pages stay available when asked for, in the same order.
    paged, cursor = [], None
    while True:
        params = {"limit": 20} | ({"cursor": cursor} if cursor else {})
        page = (await api.get(f"/api/users/{user.partner_id}/interviews", params=params)).json()
        assert len(page["interviews"]) <= 20
        paged += page["interviews"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == interviews
    first = (await api.get(f"/api/users/{user.partner_id}/interviews?limit=5")).json()
    assert [i["id"] for i in first["interviews"]] == [55, 54, 53, 52, 51] and first["next_cursor"]


async def test_ids_are_unique_per_org_and_the_links_use_them(app, client_for) -> None:
    org, other = await make_org(app), await make_org(app)
    key = await make_key(app, org)
    alice, bob = await make_user(app, org), await make_user(app, org)
    sandbox_user = await make_user(app, org, environment="sandbox")
    stranger = await make_user(app, other)
    with recorded_events() as seen:
        for user, owner in ((alice, org), (bob, org), (alice, org), (stranger, other)):
            await (await _member(app, client_for, owner, user)).start("basics")
        sandbox_browser = client_for(org.slug, "sandbox")
        await signed_in(app, sandbox_browser, org, sandbox_user)
        await Member(sandbox_browser).start("basics")
    created = [data["interview"]["id"] for event, data in seen if event == "interview.created"]
    assert created == [1, 2, 3, 1, 4]  # the other org counts on its own; sandbox shares the org's

    api = client_for(org.slug, headers={"Authorization": key})
    ids = [
        i["id"]
        for i in (await api.get(f"/api/users/{alice.partner_id}/interviews")).json()["interviews"]
    ]
    assert ids == [3, 1]
    [bobs] = (await api.get(f"/api/users/{bob.partner_id}/interviews")).json()["interviews"]
    assert bobs["links"] == {
        "review": "/members/interviews/2",
        "retake": "/members/interviews/2/retake",
    }
    # The links open for their user, through sign-in, and for nobody else.
    browser = client_for(org.slug)
    landed = await signed_in(app, browser, org, bob, redirect_to=bobs["links"]["review"])
    assert landed.headers["location"] == "/members/interviews/2"
    assert (await browser.get("/members/interviews/2")).status_code == 200
    assert (await browser.get("/members/interviews/2/retake")).status_code == 200
    assert (await browser.get("/members/interviews/1")).status_code == 404  # alice's


async def test_concurrent_starts_in_one_org_get_distinct_ids(app, client_for) -> None:
    org = await make_org(app)
    users = [await make_user(app, org) for _ in range(6)]
    members = [await _member(app, client_for, org, user) for user in users]
    await asyncio.gather(*(m.start("basics") for m in members))
    async with app.state.sessionmaker() as session:
        numbers = sorted(
            (await session.execute(select(Interview.number).where(Interview.org_id == org.id)))
            .scalars()
            .all()
        )
        counter = await session.get(InterviewCounter, org.id)
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert counter is not None and counter.last_number == 6


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "101"])
async def test_a_page_asked_for_with_a_bad_limit_is_422(app, client_for, bad: str) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    user = await make_user(app, org)
    api = client_for(org.slug, headers={"Authorization": key})
    limit = "201" if bad == "101" else bad
    response = await api.get(f"/api/users/{user.partner_id}/interviews", params={"limit": limit})
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


async def test_the_migration_numbers_existing_interviews_per_org(tmp_path, database_url) -> None:
    """0011 on a database with interviews: 1, 2, 3, ... per org by creation, counters after."""
    from alembic import command

    is_pg = database_url.startswith("postgresql")
    url = (
        await pg.create_database(database_url)
        if is_pg
        else f"sqlite+aiosqlite:///{tmp_path / 'numbers.db'}"
    )
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0009")
        orgs = [uuid.uuid4(), uuid.uuid4()]
        users = [uuid.uuid4(), uuid.uuid4()]
        base = clock.now()
        async with engine.begin() as conn:
            for n, (org_id, user_id) in enumerate(zip(orgs, users, strict=True)):
                org = {
                    "id": org_id,
                    "slug": f"mig-{n}-{uuid.uuid4().hex[:6]}",
                    "name": "Org",
                    "anonymous_users_enabled": False,
                    "sso_token_ttl_seconds": 172800,
                    "sso_allowed_return_origins": [],
                    "created_at": base,
                    "updated_at": base,
                }
                # Only the columns 0009 has (as for the interviews below).
                then_orgs = Table(
                    "organizations",
                    MetaData(),
                    *[c._copy() for c in table_of(Organization).c if c.name in org],
                )
                await conn.execute(insert(then_orgs).values(org))
                await conn.execute(
                    insert(table_of(User)).values(
                        id=user_id,
                        org_id=org_id,
                        environment="production",
                        partner_id="p",
                        anonymous=False,
                        created_at=base,
                        updated_at=base,
                    )
                )
            made = []
            for n, org_index in enumerate([0, 1, 0, 0, 1]):
                row = {
                    "id": uuid.uuid4(),
                    "org_id": orgs[org_index],
                    "environment": "production",
                    "user_id": users[org_index],
                    "set_slug": "basics",
                    "title": "T",
                    "category": "general",
                    "interviewer_name": "Alex",
                    "questions": [],
                    "created_at": base + timedelta(minutes=n),
                    "updated_at": base + timedelta(minutes=n),
                }
                made.append(row)
                # Only the columns 0009 has (the model's later ones have defaults of their own).
                then = Table(
                    "practice_interviews",
                    MetaData(),
                    *[c._copy() for c in table_of(Interview).c if c.name in row],
                )
                await conn.execute(insert(then).values(row))
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            numbers = {
                row.id: row.number
                for row in await conn.execute(select(Interview.id, Interview.number))
            }
            counters = {
                org_id: last
                for org_id, last in await conn.execute(
                    select(InterviewCounter.org_id, InterviewCounter.last_number)
                )
            }
        assert [numbers[row["id"]] for row in made] == [1, 1, 2, 3, 2]
        assert counters == {orgs[0]: 3, orgs[1]: 2}
    finally:
        await engine.dispose()
        if is_pg:
            await pg.drop_database(url)
