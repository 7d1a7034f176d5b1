"""Keeping a copy in sync: `updated_since` and cursors together page through exactly the users
changed since then, in order, whichever of the two is the stronger condition."""

from __future__ import annotations

from datetime import timedelta

from greenroom.core import clock
from tests.conftest import Partner

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@xyz.example.com"}


async def _pages(partner: Partner, **params: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": "2", **({"cursor": cursor} if cursor else {})}
        body = (await partner.api.get("/api/users", params=query)).json()
        seen += [user["partner_id"] for user in body["users"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def test_paging_with_updated_since_returns_exactly_the_later_changes(
    partner: Partner,
) -> None:
    stamps = []
    for n in range(7):
        clock.advance(timedelta(minutes=1))
        stamps.append(clock.now())
        assert (await partner.api.post(f"/api/users/user-{n}", json=JANE)).status_code == 201
    since = stamps[2].isoformat()
    assert await _pages(partner, updated_since=since) == [f"user-{n}" for n in range(2, 7)]


async def test_a_later_updated_since_than_the_cursor_wins(partner: Partner) -> None:
    stamps = []
    for n in range(6):
        clock.advance(timedelta(minutes=1))
        stamps.append(clock.now())
        await partner.api.post(f"/api/users/user-{n}", json=JANE)
    first = (await partner.api.get("/api/users", params={"limit": "1"})).json()
    later = {"cursor": first["next_cursor"], "updated_since": stamps[4].isoformat(), "limit": "10"}
    listed = (await partner.api.get("/api/users", params=later)).json()["users"]
    assert [user["partner_id"] for user in listed] == ["user-4", "user-5"]
    # And an earlier one than the cursor: the cursor wins.
    second = (await partner.api.get("/api/users", params={"limit": "3"})).json()
    earlier = {"cursor": second["next_cursor"], "updated_since": stamps[0].isoformat()}
    listed = (await partner.api.get("/api/users", params=earlier)).json()["users"]
    assert [user["partner_id"] for user in listed] == ["user-3", "user-4", "user-5"]
