"""Input that databases disagree about (NUL characters) is refused cleanly on both."""

from __future__ import annotations

import pytest

from tests.users.helpers import JANE


@pytest.mark.parametrize(
    "body",
    [
        {**JANE, "first_name": "Ja\x00ne"},
        {**JANE, "last_name": "\x00"},
        {**JANE, "metadata": {"note": "a\x00b"}},
        {**JANE, "metadata": {"a\x00": 1}},
    ],
)
async def test_nul_characters_in_the_body_are_422(api, body) -> None:
    response = await api.post("/api/users/abc123def", json=body)
    assert response.status_code == 422, response.text


async def test_nul_in_a_filter_is_not_a_server_error(api) -> None:
    response = await api.get("/api/users", params={"email": "a\x00b@x.com"})
    assert response.status_code in (200, 422), response.text


async def test_a_literal_backslash_u_in_metadata_is_fine(api) -> None:
    response = await api.post("/api/users/abc123def", json={**JANE, "metadata": {"n": "\\u0000"}})
    assert response.status_code == 201
    assert response.json()["user"]["metadata"] == {"n": "\\u0000"}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"first_name": "\\ud800", "last_name": "Doe", "email": "j@xyz.example.com"}',
        b'{"first_name": "Jane", "last_name": "Doe", "email": "j@xyz.example.com", "metadata": {"\\udfff": 1}}',
    ],
)
async def test_lone_surrogates_are_refused_not_a_server_error(api, raw: bytes) -> None:
    response = await api.post(
        "/api/users/abc123def", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
