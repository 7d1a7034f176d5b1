"""Managing webhook endpoints through the Partner API."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import select

from greenroom.keys.scopes import Scope
from greenroom.webhooks import service
from greenroom.webhooks.models import WebhookEndpoint
from tests.factories import make_key, make_org

URL = "https://xyz.example.com/greenroom/webhooks"
PUBLIC_URL = "https://93.184.215.14/hooks"


async def test_create_shows_a_standard_webhooks_secret_once(partner, db) -> None:
    client = partner.api
    response = await client.post(
        "/api/webhooks",
        json={"url": PUBLIC_URL, "events": ["user.created"], "description": "LMS sync"},
    )
    assert response.status_code == 201, response.text
    webhook = response.json()["webhook"]
    assert response.headers["location"] == f"/api/webhooks/{webhook['id']}"
    secret = webhook["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert webhook["events"] == ["user.created"]
    assert webhook["enabled"] is True and webhook["disabled_reason"] is None
    assert webhook["environment"] == "production"

    again = await client.get(f"/api/webhooks/{webhook['id']}")
    assert again.status_code == 200
    assert "secret" not in again.json()["webhook"]
    assert secret not in again.text
    listed = await client.get("/api/webhooks")
    assert secret not in listed.text

    # Encrypted at rest, and recoverable for signing.
    row = (
        await db.execute(
            select(WebhookEndpoint).where(WebhookEndpoint.id == uuid.UUID(webhook["id"]))
        )
    ).scalar_one()
    assert secret.removeprefix("whsec_") not in row.secret_ciphertext
    assert service.endpoint_secret(row, client._transport.app.state.settings) == secret


async def test_events_default_to_all_and_unknown_types_are_422(partner) -> None:
    client = partner.api
    response = await client.post("/api/webhooks", json={"url": PUBLIC_URL})
    assert response.json()["webhook"]["events"] == ["*"]
    bad = await client.post("/api/webhooks", json={"url": PUBLIC_URL, "events": ["user.exploded"]})
    assert bad.status_code == 422
    empty = await client.post("/api/webhooks", json={"url": PUBLIC_URL, "events": []})
    assert empty.status_code == 422
    unknown_field = await client.post("/api/webhooks", json={"url": PUBLIC_URL, "secret": "x"})
    assert unknown_field.status_code == 422


async def test_list_is_paginated(partner) -> None:
    client = partner.api
    ids = []
    for _ in range(3):
        ids.append(
            (await client.post("/api/webhooks", json={"url": PUBLIC_URL})).json()["webhook"]["id"]
        )
    first = (await client.get("/api/webhooks", params={"limit": 2})).json()
    assert [w["id"] for w in first["webhooks"]] == ids[:2]
    second = (
        await client.get("/api/webhooks", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [w["id"] for w in second["webhooks"]] == ids[2:]
    assert second["next_cursor"] is None
    assert (await client.get("/api/webhooks", params={"cursor": "nope"})).status_code == 400


async def test_update_changes_only_what_is_sent(partner) -> None:
    client = partner.api
    created = (
        await client.post("/api/webhooks", json={"url": PUBLIC_URL, "description": "first"})
    ).json()["webhook"]
    path = f"/api/webhooks/{created['id']}"
    response = await client.post(path, json={"events": ["progress.updated", "user.deleted"]})
    assert response.status_code == 200, response.text
    body = response.json()["webhook"]
    assert body["events"] == ["progress.updated", "user.deleted"]
    assert body["description"] == "first" and body["url"] == PUBLIC_URL

    disabled = (await client.post(path, json={"enabled": False})).json()["webhook"]
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"] == "manual" and disabled["disabled_at"]
    enabled = (await client.post(path, json={"enabled": True})).json()["webhook"]
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None

    assert (await client.post(path, json={"url": None})).status_code == 422
    assert (await client.post(path, json={"url": "ftp://xyz.example.com/"})).status_code == 422


async def test_delete_then_404(partner) -> None:
    client = partner.api
    created = (await client.post("/api/webhooks", json={"url": PUBLIC_URL})).json()["webhook"]
    assert (await client.delete(f"/api/webhooks/{created['id']}")).status_code == 204
    assert (await client.get(f"/api/webhooks/{created['id']}")).status_code == 404
    assert (await client.delete(f"/api/webhooks/{created['id']}")).status_code == 404


async def test_rotate_gives_a_new_secret(partner) -> None:
    client = partner.api
    created = (await client.post("/api/webhooks", json={"url": PUBLIC_URL})).json()["webhook"]
    rotated = await client.post(f"/api/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != created["secret"]


async def test_another_orgs_or_environments_webhook_is_404(app, partner, api_for) -> None:
    org, client = partner.org, partner.api
    created = (await client.post("/api/webhooks", json={"url": PUBLIC_URL})).json()["webhook"]
    other = await make_org(app)
    other_client = await api_for(other)
    sandbox = await api_for(org, "sandbox")
    path = f"/api/webhooks/{created['id']}"
    for foreign in (other_client, sandbox):
        assert (await foreign.get(path)).status_code == 404
        assert (await foreign.post(path, json={"enabled": False})).status_code == 404
        assert (await foreign.delete(path)).status_code == 404
        assert (await foreign.post(f"{path}/rotate-secret")).status_code == 404
        assert (await foreign.get(f"{path}/deliveries")).status_code == 404
        assert (await foreign.get("/api/webhooks")).json()["webhooks"] == []
    assert (await client.get("/api/webhooks/not-a-uuid")).status_code == 404
    assert (await client.get(path)).status_code == 200


async def test_webhooks_manage_scope_is_required(app, client_for) -> None:
    org = await make_org(app)
    key = await make_key(app, org, scopes=frozenset({Scope.USERS_READ}))
    response = await client_for(org.slug).get("/api/webhooks", headers={"Authorization": key})
    assert response.status_code == 403
    assert response.json()["scope"] == "webhooks:manage"


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://93.184.215.14/a\u0000b"},
        {"url": "https://93.184.215.14/a b"},
        {"url": "https://93.184.215.14/\ud800"},
        {"url": PUBLIC_URL, "description": "nul\u0000"},
        {"url": PUBLIC_URL, "description": "\udfff"},
        {"url": PUBLIC_URL, "events": ["user.created\u0000"]},
        {"url": PUBLIC_URL, "description": "x" * 501},
    ],
)
async def test_odd_characters_are_422_not_500(partner, body) -> None:
    client = partner.api
    response = await client.post(
        "/api/webhooks", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text


async def test_a_retried_create_with_an_idempotency_key_makes_one_endpoint(partner) -> None:
    client = partner.api
    headers = {"Idempotency-Key": "create-xyz-lms-hook"}
    first = await client.post("/api/webhooks", json={"url": PUBLIC_URL}, headers=headers)
    again = await client.post("/api/webhooks", json={"url": PUBLIC_URL}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same endpoint and the same (one-time) secret
    assert len((await client.get("/api/webhooks")).json()["webhooks"]) == 1
