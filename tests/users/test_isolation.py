"""Orgs A and B each have a user abc123def; sandbox and production are apart."""

from __future__ import annotations

import pytest

from tests.factories import make_org
from tests.users.helpers import JANE


@pytest.fixture
async def two_orgs(app, api_for):
    a, b = await make_org(app), await make_org(app)
    api_a = await api_for(a)
    api_b = await api_for(b)
    assert (
        await api_a.post("/api/users/abc123def", json={**JANE, "first_name": "Ann"})
    ).status_code == 201
    assert (
        await api_b.post("/api/users/abc123def", json={**JANE, "first_name": "Bob"})
    ).status_code == 201
    return a, b, api_a, api_b


async def test_each_org_sees_only_its_own_user(two_orgs) -> None:
    _a, _b, api_a, api_b = two_orgs
    assert (await api_a.get("/api/users/abc123def")).json()["user"]["first_name"] == "Ann"
    assert (await api_b.get("/api/users/abc123def")).json()["user"]["first_name"] == "Bob"
    assert [u["first_name"] for u in (await api_a.get("/api/users")).json()["users"]] == ["Ann"]


async def test_a_key_of_one_org_cannot_reach_the_other(two_orgs, app, client_for) -> None:
    _a, b, api_a, _api_b = two_orgs
    key_a = api_a.headers["Authorization"]
    on_b = client_for(b.slug, headers={"Authorization": key_a})
    assert (await on_b.get("/api/users/abc123def")).status_code == 401
    assert (await on_b.post("/api/users/abc123def", json={"first_name": "X"})).status_code == 401
    assert (await on_b.delete("/api/users/abc123def")).status_code == 401


async def test_changing_or_deleting_in_one_org_leaves_the_other_alone(two_orgs) -> None:
    _a, _b, api_a, api_b = two_orgs
    assert (
        await api_a.post("/api/users/abc123def", json={"first_name": "Anna"})
    ).status_code == 200
    assert (await api_a.delete("/api/users/abc123def")).status_code == 204
    assert (await api_a.get("/api/users/abc123def")).status_code == 404
    assert (await api_a.delete("/api/users/abc123def")).status_code == 404
    assert (await api_b.get("/api/users/abc123def")).json()["user"]["first_name"] == "Bob"


async def test_another_orgs_only_user_is_404_not_403(app, api_for) -> None:
    a, b = await make_org(app), await make_org(app)
    api_a = await api_for(a)
    api_b = await api_for(b)
    await api_a.post("/api/users/only-in-a", json=JANE)
    for response in (
        await api_b.get("/api/users/only-in-a"),
        await api_b.delete("/api/users/only-in-a"),
        await api_b.post("/api/users/only-in-a/sso", json={}),
    ):
        assert response.status_code == 404
    # and a POST there creates B's own user rather than touching A's
    assert (
        await api_b.post("/api/users/only-in-a", json={**JANE, "first_name": "B"})
    ).status_code == 201
    assert (await api_a.get("/api/users/only-in-a")).json()["user"]["first_name"] == "Jane"


async def test_sandbox_and_production_are_apart(app, api_for) -> None:
    org = await make_org(app)
    prod = await api_for(org)
    sandbox = await api_for(org, "sandbox")
    assert (await prod.post("/api/users/abc123def", json=JANE)).status_code == 201
    assert (await sandbox.get("/api/users/abc123def")).status_code == 404
    assert (await sandbox.get("/api/users")).json()["users"] == []
    assert (
        await sandbox.post("/api/users/abc123def", json={**JANE, "first_name": "S"})
    ).status_code == 201
    assert (await prod.get("/api/users/abc123def")).json()["user"]["first_name"] == "Jane"
    assert (await sandbox.delete("/api/users/abc123def")).status_code == 204
    assert (await prod.get("/api/users/abc123def")).status_code == 200
