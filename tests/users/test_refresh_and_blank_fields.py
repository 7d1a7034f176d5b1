"""Big Interview's create/refresh call as their clients make it (issue 16, items 1, 2 and 10):
no body refreshes the token, blank names leave the stored ones, a token never outlives its user.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from greenroom.core import clock
from tests.users.helpers import JANE


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"", {}),
        (b"", {"content-type": "application/json", "content-length": "0"}),
        (b"{}", {"content-type": "application/json"}),
        (b"", {"content-type": "application/x-www-form-urlencoded"}),
    ],
    ids=["no-body", "json-content-length-0", "empty-object", "empty-form"],
)
async def test_no_body_on_an_existing_user_is_a_refresh(
    partner, content: bytes, headers: dict[str, str]
) -> None:
    api = partner.api
    created = (await api.post("/api/users/abc123def", json=JANE)).json()["user"]
    clock.advance(timedelta(minutes=5))
    response = await api.post("/api/users/abc123def", content=content, headers=headers)
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["token"]["token"] != created["token"]["token"]
    assert len(user["token"]["token"]) == 64
    assert _when(user["token"]["expires_at"]) > _when(created["token"]["expires_at"])
    unchanged = {k: v for k, v in user.items() if k != "token"}
    assert unchanged == {k: v for k, v in created.items() if k != "token"}
    # The fresh token signs the user in.
    signed_in = await partner.bare.get("/sso/login", params={"token": user["token"]["token"]})
    assert signed_in.status_code == 303


async def test_no_body_on_a_missing_user_names_the_required_fields(partner) -> None:
    response = await partner.api.post("/api/users/abc123def")
    assert response.status_code == 422, response.text
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {"first_name", "last_name", "email"}
    assert body["error"]["type"] == "validation_error"
    assert set(body["error"]["message"]) == {"first_name", "last_name", "email"}


@pytest.mark.parametrize("blank", [None, "", "   "])
async def test_blank_fields_on_update_leave_the_stored_values(partner, blank: Any) -> None:
    api = partner.api
    await api.post("/api/users/abc123def", json=JANE)
    response = await api.post(
        "/api/users/abc123def",
        json={"first_name": blank, "last_name": "Roe", "email": blank},
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert (user["first_name"], user["last_name"], user["email"]) == (
        "Jane",
        "Roe",
        JANE["email"],
    )
    assert user["token"] is not None
    stored = (await api.get("/api/users/abc123def")).json()["user"]
    assert (stored["first_name"], stored["email"]) == ("Jane", JANE["email"])


async def test_big_interview_clients_sending_every_field_blank_get_a_token(partner) -> None:
    api = partner.api
    await api.post("/api/users/abc123def", json=JANE)
    every_blank = {"first_name": "", "last_name": None, "email": None}
    response = await api.post("/api/users/abc123def", json=every_blank)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["token"]["token"]


@pytest.mark.parametrize(
    "body",
    [{"email": "not-an-email"}, {"first_name": "x" * 201}, {"last_name": "a\x01b"}],
)
async def test_invalid_non_empty_values_on_update_are_still_422(partner, body) -> None:
    api = partner.api
    await api.post("/api/users/abc123def", json=JANE)
    response = await api.post("/api/users/abc123def", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert (await api.get("/api/users/abc123def")).json()["user"]["last_name"] == "Doe"


async def test_blank_fields_on_create_are_missing_ones(partner) -> None:
    response = await partner.api.post(
        "/api/users/abc123def", json={**JANE, "email": "", "last_name": None}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"email", "last_name"}


async def test_an_anonymous_users_tokens_never_outlive_the_user(anonymous_partner) -> None:
    api = anonymous_partner.api
    created = (await api.post("/api/users/anonymous")).json()["user"]
    user_expires = _when(created["expires_at"])
    # The org's token lifetime is 48 hours; the user has 24.
    assert _when(created["token"]["expires_at"]) == user_expires
    partner_id = created["partner_id"]

    clock.advance(timedelta(hours=23))
    refreshed = (await api.post(f"/api/users/{partner_id}")).json()["user"]
    assert _when(refreshed["token"]["expires_at"]) == user_expires
    link = (await api.post(f"/api/users/{partner_id}/sso")).json()
    assert _when(link["expires_at"]) == user_expires
    short = (await api.post(f"/api/users/{partner_id}/sso", json={"expires_in": 600})).json()
    assert _when(short["expires_at"]) < user_expires  # a shorter lifetime asked for stays

    # A named user's token keeps the org's lifetime.
    named = (await api.post("/api/users/abc123def", json=JANE)).json()["user"]
    lifetime = _when(named["token"]["expires_at"]) - _when(named["created_at"])
    # (the token is made a moment after the user, so the difference may be a little over 48 h)
    assert timedelta(hours=47, minutes=59) < lifetime < timedelta(hours=48, seconds=5)
