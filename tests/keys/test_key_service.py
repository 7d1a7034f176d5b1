"""Key life cycle rules: listing without secrets, roll limits, last_used_at throttling, the
rotation flag, and the audit entries each change leaves."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from greenroom.audit.models import AuditEvent
from greenroom.core import clock
from greenroom.core.errors import Conflict, NotFound, ValidationFailed
from greenroom.keys import service as keys
from greenroom.keys.models import ApiKey
from greenroom.tenancy.hosts import Environment
from tests.auth.conftest import CHECK
from tests.factories import make_key, make_org


async def _key_row(app, org, secret: str) -> ApiKey:
    async with app.state.sessionmaker() as session:
        found = await keys.find_key(session, app.state.settings.server_secrets, secret)
        assert found is not None and found.org_id == org.id
        return found


async def test_created_key_is_32_hex_and_only_its_hmac_and_last4_are_stored(app) -> None:
    org = await make_org(app)
    secret = await make_key(app, org)
    assert keys.KEY_RE.fullmatch(secret)
    row = await _key_row(app, org, secret)
    assert row.last4 == secret[-4:]
    assert secret not in (row.key_hash, row.name) and len(row.key_hash) == 64
    assert row.secret_version == "t1"
    assert row.created_by == "cli"


async def test_list_shows_every_key_of_the_org_only(app) -> None:
    org, other = await make_org(app), await make_org(app)
    await make_key(app, org, name="one")
    await make_key(app, org, name="two", environment="sandbox")
    await make_key(app, other, name="theirs")
    async with app.state.sessionmaker() as session:
        listed = await keys.list_keys(session, org.id)
        sandbox_only = await keys.list_keys(session, org.id, Environment.SANDBOX)
    assert sorted(k.name for k in listed) == ["one", "two"]
    assert [k.name for k in sandbox_only] == ["two"]


async def test_revoke_and_roll_of_another_orgs_key_are_not_found(app) -> None:
    org, other = await make_org(app), await make_org(app)
    row = await _key_row(app, other, await make_key(app, other))
    async with app.state.sessionmaker() as session:
        with pytest.raises(NotFound):
            await keys.revoke_key(session, org.id, row.id, actor="cli")
        with pytest.raises(NotFound):
            await keys.roll_key(
                session,
                org.id,
                row.id,
                server_secret=app.state.settings.server_secrets[0],
                created_by="cli",
            )
        with pytest.raises(NotFound):
            await keys.revoke_key(session, org.id, uuid.uuid4(), actor="cli")


@pytest.mark.parametrize("grace", [timedelta(days=7, seconds=1), timedelta(seconds=-1)])
async def test_roll_grace_is_0_to_7_days(app, grace) -> None:
    org = await make_org(app)
    row = await _key_row(app, org, await make_key(app, org))
    async with app.state.sessionmaker() as session:
        with pytest.raises(ValidationFailed):
            await keys.roll_key(
                session,
                org.id,
                row.id,
                server_secret=app.state.settings.server_secrets[0],
                created_by="cli",
                grace=grace,
            )


async def test_roll_keeps_name_environment_scopes_and_refuses_a_second_roll(app) -> None:
    org = await make_org(app)
    row = await _key_row(app, org, await make_key(app, org, environment="sandbox", name="CRM"))
    secret = app.state.settings.server_secrets[0]
    async with app.state.sessionmaker() as session, session.begin():
        created = await keys.roll_key(
            session, org.id, row.id, server_secret=secret, created_by="ops@xyz.example.com"
        )
        new = created.key
        assert (new.name, new.environment, new.scopes) == ("CRM", "sandbox", row.scopes)
        old = await keys.get_key(session, org.id, row.id)
        assert old.replaced_by_id == new.id
        assert old.expires_at is not None
        assert timedelta(hours=23, minutes=59) < old.expires_at - clock.now() <= timedelta(hours=24)
        with pytest.raises(Conflict):
            await keys.roll_key(session, org.id, row.id, server_secret=secret, created_by="cli")
        events = (
            await session.execute(
                select(AuditEvent.event, AuditEvent.actor).where(AuditEvent.key_id == new.id)
            )
        ).all()
        assert [tuple(e) for e in events] == [("key.rolled", "admin:ops@xyz.example.com")]


async def test_rotation_is_recommended_after_90_days(app) -> None:
    org = await make_org(app)
    row = await _key_row(app, org, await make_key(app, org))
    assert not keys.rotation_recommended(row)
    clock.advance(timedelta(days=89))
    assert not keys.rotation_recommended(row)
    clock.advance(timedelta(days=1))
    assert keys.rotation_recommended(row)


async def test_last_used_is_written_at_most_once_a_minute(app, client_for) -> None:
    org = await make_org(app)
    secret = await make_key(app, org)
    api = client_for(org.slug)
    assert (await _key_row(app, org, secret)).last_used_at is None
    assert (await api.get(CHECK, headers={"Authorization": secret})).status_code == 200
    await app.state.authenticator.drain()
    first = (await _key_row(app, org, secret)).last_used_at
    assert first is not None
    clock.advance(timedelta(seconds=30))
    await api.get(CHECK, headers={"Authorization": secret})
    await app.state.authenticator.drain()
    assert (await _key_row(app, org, secret)).last_used_at == first
    clock.advance(timedelta(seconds=31))
    await api.get(CHECK, headers={"Authorization": secret})
    await app.state.authenticator.drain()
    later = (await _key_row(app, org, secret)).last_used_at
    assert later is not None and later > first


async def test_last_used_write_is_skipped_when_another_process_wrote_recently(app) -> None:
    org = await make_org(app)
    row = await _key_row(app, org, await make_key(app, org))
    now = clock.now()
    async with app.state.sessionmaker() as session, session.begin():
        assert await keys.record_use(session, row.id, now)
        assert not await keys.record_use(session, row.id, now + timedelta(seconds=59))
        assert await keys.record_use(session, row.id, now + timedelta(seconds=61))


async def test_concurrent_misses_for_one_key_make_one_query(app, client_for, monkeypatch) -> None:
    import asyncio

    org = await make_org(app)
    secret = await make_key(app, org)
    api = client_for(org.slug)
    assert (
        await api.get(CHECK, headers={"Authorization": secret})
    ).status_code == 200  # org cached
    app.state.authenticator.cache._entries.clear()
    calls = 0
    real = keys.find_key

    async def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return await real(*args, **kwargs)

    monkeypatch.setattr(keys, "find_key", counting)
    responses = await asyncio.gather(
        *(api.get(CHECK, headers={"Authorization": secret}) for _ in range(8))
    )
    assert [r.status_code for r in responses] == [200] * 8
    assert calls == 1
