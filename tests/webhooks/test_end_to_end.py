"""Events published by the users API reach a real receiver, signed (no test helper publishes)."""

from __future__ import annotations

from tests.factories import make_org
from tests.webhooks.conftest import make_worker

JOHN = {"first_name": "John", "last_name": "Doe", "email": "john.doe@xyz.example.com"}


async def test_creating_a_user_through_the_api_delivers_a_signed_user_created(
    app, api_for, receiver
) -> None:
    org = await make_org(app)
    api = await api_for(org)
    created = await api.post("/api/webhooks", json={"url": receiver.url("/users")})
    receiver.secrets["/users"] = created.json()["webhook"]["secret"]

    response = await api.post("/api/users/abc123def", json=JOHN)
    assert response.status_code == 201, response.text
    await make_worker(app, org).run_until_idle()

    [got] = receiver.at("/users")
    assert got.verify_error is None  # verified by the standardwebhooks library
    assert got.payload["type"] == "user.created"
    user = got.payload["data"]["user"]
    assert user["partner_id"] == "abc123def"
    assert user["email"] == "john.doe@xyz.example.com"
    assert "token" not in user  # the event carries the user, never a sign-in token

    # Update and delete follow, each signed (order between deliveries is not guaranteed).
    assert (
        await api.post("/api/users/abc123def", json={"first_name": "Johnny"})
    ).status_code == 200
    assert (await api.delete("/api/users/abc123def")).status_code == 204
    await make_worker(app, org).run_until_idle()
    assert all(r.verify_error is None for r in receiver.at("/users"))
    by_type = {r.payload["type"]: r.payload["data"] for r in receiver.at("/users")}
    assert sorted(by_type) == ["user.created", "user.deleted", "user.updated"]
    assert by_type["user.updated"]["user"]["first_name"] == "Johnny"


async def test_a_refused_user_change_sends_nothing(app, api_for, receiver) -> None:
    org = await make_org(app)
    api = await api_for(org)
    await api.post("/api/webhooks", json={"url": receiver.url("/refused")})
    response = await api.post("/api/users/abc123def", json={"first_name": "John"})  # no email
    assert response.status_code == 422
    assert await make_worker(app, org).run_until_idle() == 0
    assert receiver.at("/refused") == []


async def test_sandbox_users_reach_only_sandbox_webhooks(app, api_for, receiver) -> None:
    org = await make_org(app)
    prod = await api_for(org)
    sandbox = await api_for(org, "sandbox")
    await prod.post("/api/webhooks", json={"url": receiver.url("/prod")})
    await sandbox.post("/api/webhooks", json={"url": receiver.url("/sandbox")})
    assert (await sandbox.post("/api/users/abc123def", json=JOHN)).status_code == 201
    await make_worker(app, org).run_until_idle()
    assert receiver.at("/prod") == []
    assert len(receiver.at("/sandbox")) == 1
