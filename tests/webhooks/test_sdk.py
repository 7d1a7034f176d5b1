"""The Python SDK's webhook calls against the real API, and its `verify` on real deliveries."""

from __future__ import annotations

import httpx

from greenroom_client import AsyncGreenroom, verify
from tests.factories import make_key, make_org
from tests.webhooks.conftest import make_worker, publish, user_data


async def test_sdk_manages_webhooks_and_verifies_deliveries(app, settings, receiver) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    async with AsyncGreenroom(
        org=org.slug,
        api_key=key,
        base_domain=settings.base_domain,
        scheme="http",
        transport=httpx.ASGITransport(app=app),
    ) as sdk:
        created = await sdk.webhooks.create(url=receiver.url("/sdk"), events=["user.created"])
        assert created.secret and created.secret.startswith("whsec_")
        webhook_id = created.id
        assert [w.id async for w in sdk.webhooks.list()] == [webhook_id]
        updated = await sdk.webhooks.update(webhook_id, description="XYZ Corporation LMS")
        assert updated.description == "XYZ Corporation LMS" and updated.secret is None
        secret = (await sdk.webhooks.rotate_secret(webhook_id)).secret
        receiver.secrets["/sdk"] = secret

        await publish(app, org, "user.created", user_data())
        await make_worker(app, org).run_until_idle()
        [got] = receiver.at("/sdk")
        assert got.verify_error is None  # the standardwebhooks library
        assert verify(got.body, got.headers, secret)["type"] == "user.created"  # the SDK

        [delivery] = (await sdk.webhooks.deliveries_page(webhook_id)).items
        detail = await sdk.webhooks.delivery(webhook_id, delivery.id)
        assert detail.attempt_log and detail.attempt_log[0].succeeded
        resent = await sdk.webhooks.resend(webhook_id, delivery.id)
        assert resent.status == "pending" and resent.resend_of == delivery.id
        await sdk.webhooks.delete(webhook_id)
        assert [w async for w in sdk.webhooks.list()] == []


async def test_sdk_makes_big_interview_endpoints_and_rotates_the_key(
    app, settings, receiver
) -> None:
    org = await make_org(app)
    key = await make_key(app, org)
    async with AsyncGreenroom(
        org=org.slug,
        api_key=key,
        base_domain=settings.base_domain,
        scheme="http",
        transport=httpx.ASGITransport(app=app),
    ) as sdk:
        created = await sdk.webhooks.create(url=receiver.url("/bi"), format="biginterview")
        assert created.format == "biginterview" and created.verification_key
        plain = await sdk.webhooks.create(url=receiver.url("/std"))
        assert plain.format == "standard" and plain.verification_key is None
        switched = await sdk.webhooks.update(plain.id, format="biginterview")
        assert switched.format == "biginterview" and switched.verification_key is None
        rotated = await sdk.webhooks.rotate_verification_key()
        assert rotated.verification_key not in (None, created.verification_key)
        assert rotated.request_id
    receiver.keys["/bi"] = rotated.verification_key
    await publish(app, org, "user.created", user_data())
    await make_worker(app, org).run_until_idle()
    [got] = receiver.at("/bi")
    assert got.status == 200
