"""POST /api/users/{partner_id}: create or update, and what each answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select

from greenroom.core import events
from greenroom.tenancy.context import Tenant
from greenroom.users.models import User
from tests.users.helpers import JANE


async def test_create_is_201_with_location_and_the_user_object(partner) -> None:
    api = partner.api
    response = await api.post(
        "/api/users/abc123def", json={**JANE, "metadata": {"cohort": "2026-fall"}}
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/users/abc123def"
    user = response.json()["user"]
    assert {k: user[k] for k in ("partner_id", "first_name", "last_name", "email")} == {
        "partner_id": "abc123def",
        **JANE,
    }
    assert user["metadata"] == {"cohort": "2026-fall"}
    assert user["anonymous"] is False and user["expires_at"] is None
    assert user["created_at"].endswith("Z") or user["created_at"].endswith("+00:00")
    assert set(user) == {
        "partner_id",
        "email",
        "first_name",
        "last_name",
        "metadata",
        "anonymous",
        "expires_at",
        "created_at",
        "updated_at",
        "token",
    }


async def test_second_post_updates_with_200_and_only_what_was_sent(partner) -> None:
    api = partner.api
    await api.post("/api/users/abc123def", json=JANE)
    response = await api.post("/api/users/abc123def", json={"first_name": "Janet"})
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    user = response.json()["user"]
    assert user["first_name"] == "Janet"
    assert user["last_name"] == "Doe"
    assert user["email"] == JANE["email"]
    assert (await api.get("/api/users/abc123def")).json()["user"]["first_name"] == "Janet"


async def test_empty_body_on_an_existing_user_changes_nothing(partner) -> None:
    api = partner.api
    first = (await api.post("/api/users/abc123def", json=JANE)).json()["user"]
    again = await api.post("/api/users/abc123def", json={})
    assert again.status_code == 200
    assert again.json()["user"]["updated_at"] == first["updated_at"]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({}, {"first_name", "last_name", "email"}),
        ({"first_name": "Jane"}, {"last_name", "email"}),
        ({"first_name": "Jane", "last_name": "Doe"}, {"email"}),
        ({"email": "j@xyz.example.com", "last_name": "Doe"}, {"first_name"}),
    ],
)
async def test_creation_requires_names_and_email_naming_each_missing_one(
    partner, body: dict[str, Any], missing: set[str]
) -> None:
    api = partner.api
    response = await api.post("/api/users/abc123def", json=body)
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == missing
    assert (await api.get("/api/users/abc123def")).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {**JANE, "email": "not-an-email"},
        {**JANE, "nickname": "JD"},
        {**JANE, "first_name": ""},
        {**JANE, "first_name": None},
        {**JANE, "first_name": "x" * 201},
        {**JANE, "metadata": ["not", "an", "object"]},
        {**JANE, "metadata": {"blob": "x" * 4100}},
    ],
)
async def test_invalid_bodies_are_422(partner, body: dict[str, Any]) -> None:
    api = partner.api
    response = await api.post("/api/users/abc123def", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_metadata_up_to_4kb_is_accepted(partner) -> None:
    api = partner.api
    metadata = {"blob": "x" * (4096 - len('{"blob":""}'))}
    response = await api.post("/api/users/abc123def", json={**JANE, "metadata": metadata})
    assert response.status_code == 201, response.text
    assert response.json()["user"]["metadata"] == metadata


async def test_invalid_update_of_an_existing_user_is_422_and_changes_nothing(partner) -> None:
    api = partner.api
    await api.post("/api/users/abc123def", json=JANE)
    response = await api.post("/api/users/abc123def", json={"email": "nope", "first_name": "X"})
    assert response.status_code == 422
    assert (await api.get("/api/users/abc123def")).json()["user"]["first_name"] == "Jane"


async def test_changes_publish_user_events_inside_the_transaction(app, partner, db) -> None:
    org, api = partner.org, partner.api
    seen: list[tuple[str, str, Mapping[str, Any]]] = []

    async def record(
        _session, tenant: Tenant, event_type: str, data: Mapping[str, Any], *, user_id
    ) -> None:
        if tenant.org_id == org.id:
            seen.append((event_type, tenant.environment.value, data))

    events.subscribe(record)
    try:
        await api.post("/api/users/abc123def", json=JANE)
        await api.post("/api/users/abc123def", json={"last_name": "Roe"})
        await api.post("/api/users/abc123def", json={"last_name": "Roe"})  # no change, no event
        await api.delete("/api/users/abc123def")
    finally:
        events._subscribers.remove(record)
    assert [e[0] for e in seen] == ["user.created", "user.updated", "user.deleted"]
    assert seen[1][2]["user"]["last_name"] == "Roe"
    assert seen[2][2]["user"]["partner_id"] == "abc123def"
    assert "token" not in seen[0][2]["user"]
    rows = (await db.execute(select(User).where(User.org_id == org.id))).scalars().all()
    assert rows == []


async def test_a_failing_subscriber_rolls_the_change_back(app, partner, db) -> None:
    org, api = partner.org, partner.api

    async def explode(_session, tenant: Tenant, event_type: str, _data, *, user_id) -> None:
        if tenant.org_id == org.id:
            raise RuntimeError("subscriber failed")

    events.subscribe(explode)
    try:
        response = await api.post("/api/users/abc123def", json=JANE)
    finally:
        events._subscribers.remove(explode)
    assert response.status_code == 500
    assert (await api.get("/api/users/abc123def")).status_code == 404
