"""Concurrent creates of one partner_id: one row, one 201, no 5xx (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from greenroom.users.models import User
from tests.factories import make_org
from tests.users.helpers import JANE


async def test_fifty_parallel_creates_make_one_user(app, api_for, db) -> None:
    org = await make_org(app)
    api = await api_for(org)
    responses = await asyncio.gather(
        *(api.post("/api/users/abc123def", json=JANE) for _ in range(50))
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 49}, {r.status_code: r.text for r in responses}
    count = await db.scalar(
        select(func.count(User.id)).where(User.org_id == org.id, User.partner_id == "abc123def")
    )
    assert count == 1


async def test_parallel_creates_of_different_users_all_succeed(app, api_for, db) -> None:
    org = await make_org(app)
    api = await api_for(org)
    responses = await asyncio.gather(
        *(api.post(f"/api/users/user-{i}", json=JANE) for i in range(20))
    )
    assert {r.status_code for r in responses} == {201}
    assert await db.scalar(select(func.count(User.id)).where(User.org_id == org.id)) == 20
