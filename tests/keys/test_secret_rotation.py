"""Rotating GREENROOM_SECRETS: keys hashed under the old secret keep working, move to the new one
when used, and then no longer need the old one (docs/operations.md)."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import select

from greenroom.app import create_app
from greenroom.core.security import hmac_digest
from greenroom.keys.models import ApiKey
from tests.conftest import TEST_SECRETS, host_for
from tests.factories import make_key, make_org

NEW = "t2:rotated-secret-abcdefghijklmnopqrstuvwxyz012345"


async def _check(settings, slug: str, key: str, secrets: str) -> int:
    app = create_app(
        settings.model_copy(update={"secrets": SecretStr(secrets)}), configure_logs=False
    )
    async with LifespanManager(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{host_for(settings, slug)}"
        ) as client:
            status = (
                await client.get("/api/auth/check", headers={"Authorization": key})
            ).status_code
        await app.state.authenticator.drain()
    return status


async def test_a_used_key_moves_to_the_new_secret(app, settings, db) -> None:
    org = await make_org(app)
    key = await make_key(app, org)  # hashed under t1
    assert await _check(settings, org.slug, key, f"{NEW},{TEST_SECRETS}") == 200
    row = (await db.execute(select(ApiKey).where(ApiKey.org_id == org.id))).scalar_one()
    await db.refresh(row)
    assert row.secret_version == "t2"
    assert row.key_hash == hmac_digest(
        settings.model_copy(update={"secrets": SecretStr(NEW)}).server_secrets[0], key
    )
    await db.rollback()  # end the read (on SQLite every transaction holds the write lock)
    # The old secret can now be dropped.
    assert await _check(settings, org.slug, key, NEW) == 200


async def test_an_unused_key_needs_the_old_secret(app, settings) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    assert await _check(settings, org.slug, key, NEW) == 401
