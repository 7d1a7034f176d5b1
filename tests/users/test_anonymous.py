"""Anonymous users: approval, the daily cap, 24 hours of life, then 404 and the purge."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from greenroom.core import clock
from greenroom.users import service
from greenroom.users.models import SsoToken, User
from greenroom.users.tasks import purge_once
from tests.factories import make_org
from tests.users.helpers import JANE


async def _set_cap(app, org, cap: int) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.get(type(org), org.id)
        row.anonymous_daily_cap = cap
    app.state.org_resolver.forget(org.slug)


async def test_creates_a_uuid4_user_for_24_hours_with_a_token(anonymous_partner) -> None:
    api = anonymous_partner.api
    now = clock.now()
    response = await api.post("/api/users/anonymous")
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert uuid.UUID(user["partner_id"]).version == 4
    assert response.headers["location"] == f"/api/users/{user['partner_id']}"
    assert user["anonymous"] is True
    assert user["email"] is None and user["first_name"] is None
    expires = datetime.fromisoformat(user["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (now + timedelta(hours=24))) < timedelta(seconds=5)
    assert len(user["token"]["token"]) == 64


async def test_not_enabled_is_403_feature_not_enabled(app, api_for) -> None:
    org = await make_org(app, anonymous=False)
    api = await api_for(org)
    response = await api.post("/api/users/anonymous")
    assert response.status_code == 403
    assert response.json()["code"] == "feature_not_enabled"


async def test_usable_like_any_user_and_an_update_keeps_it_anonymous(anonymous_partner) -> None:
    api = anonymous_partner.api
    created = (await api.post("/api/users/anonymous")).json()["user"]
    pid = created["partner_id"]
    assert (await api.get(f"/api/users/{pid}")).status_code == 200
    updated = await api.post(f"/api/users/{pid}", json={"first_name": "Sam"})
    assert updated.status_code == 200, updated.text
    user = updated.json()["user"]
    assert user["first_name"] == "Sam"
    assert user["anonymous"] is True
    assert user["expires_at"] == created["expires_at"]
    assert (await api.post(f"/api/users/{pid}/sso", json={})).status_code == 201


async def test_after_24_hours_every_call_is_404(anonymous_partner) -> None:
    api = anonymous_partner.api
    pid = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    clock.advance(timedelta(hours=24, seconds=1))
    assert (await api.get(f"/api/users/{pid}")).status_code == 404
    assert (await api.post(f"/api/users/{pid}", json=JANE)).status_code == 404
    assert (await api.post(f"/api/users/{pid}/sso", json={})).status_code == 404
    assert (await api.delete(f"/api/users/{pid}")).status_code == 404
    assert pid not in {u["partner_id"] for u in (await api.get("/api/users")).json()["users"]}


async def test_daily_cap_is_429_and_resets_the_next_day(app, anonymous_partner) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    await _set_cap(app, org, 2)
    # Start just after midnight UTC so the day does not roll over mid-test.
    now = clock.now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=1, microsecond=0)
    clock.advance(midnight - now)
    assert (await api.post("/api/users/anonymous")).status_code == 201
    assert (await api.post("/api/users/anonymous")).status_code == 201
    refused = await api.post("/api/users/anonymous")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    clock.advance(timedelta(days=1))
    assert (await api.post("/api/users/anonymous")).status_code == 201


async def test_purge_deletes_expired_anonymous_users_and_their_data_only(
    app, anonymous_partner, db
) -> None:
    org, api = anonymous_partner.org, anonymous_partner.api
    named = (await api.post("/api/users/abc123def", json=JANE)).json()["user"]["partner_id"]
    old = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    assert old
    clock.advance(timedelta(hours=23))
    young = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    clock.advance(timedelta(hours=1, seconds=1))
    purged = await purge_once(app.state.sessionmaker)
    assert purged >= 1
    rows = (await db.execute(select(User.partner_id).where(User.org_id == org.id))).scalars().all()
    assert set(rows) == {named, young}
    tokens = (await db.execute(select(SsoToken).where(SsoToken.org_id == org.id))).scalars().all()
    assert len(tokens) == 2  # the named user's and the young anonymous user's


async def test_purge_publishes_user_deleted_once(app, anonymous_partner) -> None:
    from greenroom.core import events

    org, api = anonymous_partner.org, anonymous_partner.api
    pid = (await api.post("/api/users/anonymous")).json()["user"]["partner_id"]
    seen: list[str] = []

    async def record(_s, tenant, event_type, data, *, user_id) -> None:
        if tenant.org_id == org.id:
            seen.append(f"{event_type}:{data['user']['partner_id']}")

    events.subscribe(record)
    try:
        clock.advance(timedelta(hours=25))
        async with app.state.sessionmaker() as session, session.begin():
            await service.purge_expired(session)
        async with app.state.sessionmaker() as session, session.begin():
            await service.purge_expired(session)
    finally:
        events._subscribers.remove(record)
    assert seen == [f"user.deleted:{pid}"]


async def test_the_cap_holds_under_concurrent_creates(app, anonymous_partner) -> None:
    import asyncio

    org, api = anonymous_partner.org, anonymous_partner.api
    await _set_cap(app, org, 3)
    now = clock.now()
    clock.advance((now + timedelta(days=1)).replace(hour=0, minute=0, second=1) - now)
    responses = await asyncio.gather(*(api.post("/api/users/anonymous") for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [429] * 9
