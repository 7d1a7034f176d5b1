"""Every keyset cursor is parsed by one rule (`core.pagination.decode_position`): a cursor that is
not one we wrote, a timestamp without a zone included, is a 400 `invalid_cursor`, never a 500."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.core.test_errors import assert_problem
from tests.users.helpers import JANE


def cursor_of(*values: object) -> str:
    """A cursor as the API writes one (URL-safe base64 of a JSON list, without padding)."""
    raw = json.dumps(list(values)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


SOME_ID = str(uuid.UUID(int=1))
BAD_CURSORS = {
    "not base64": "!!!",
    "not json": "bm9wZQ",  # "nope"
    "not a list": base64.urlsafe_b64encode(b'{"at": 1}').decode().rstrip("="),
    "one value": cursor_of("2026-01-05T10:00:00+00:00"),
    "three values": cursor_of("2026-01-05T10:00:00+00:00", SOME_ID, 1),
    "no zone": cursor_of("2026-01-05T10:00:00", SOME_ID),
    "not a time": cursor_of("yesterday", SOME_ID),
    "not a uuid": cursor_of("2026-01-05T10:00:00+00:00", "abc"),
    "a number for the time": cursor_of(1767607200, SOME_ID),
    # Times with no UTC equivalent Python can hold (they were a 500 at the database's bind).
    "year 1 ahead of UTC": cursor_of("0001-01-01T00:00:00+01:00", SOME_ID),
    "year 9999 behind UTC": cursor_of("9999-12-31T23:59:59-01:00", SOME_ID),
}
# Every list with a keyset cursor, for a seeded user and an endpoint made by the test.
CURSOR_LISTS = (
    "/api/users",
    "/api/progress",
    "/api/users/abc123def/interviews",
    "/api/webhooks",
    "/api/webhooks/{endpoint}/deliveries",
)


@pytest.mark.parametrize("path", CURSOR_LISTS)
@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
async def test_a_cursor_we_did_not_write_is_400_invalid_cursor(api, path, cursor) -> None:
    assert (await api.post("/api/users/abc123def", json=JANE)).status_code == 201
    created = await api.post("/api/webhooks", json={"url": "https://hooks.example.com/in"})
    endpoint = created.json()["webhook"]["id"]
    response = await api.get(path.format(endpoint=endpoint), params={"cursor": cursor})
    assert_problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize("path", ["/api/users", "/api/progress"])
@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("0001-01-01T00:00:00+01:00", 422),  # no UTC equivalent: it was a 500
        ("9999-12-31T23:59:59-01:00", 422),
        ("0001-01-01T00:00:00Z", 200),
        ("0001-01-01T01:00:00+01:00", 200),  # the first instant, written with an offset
        ("9999-12-31T23:59:59.999999Z", 200),
        ("9999-12-31T23:59:59", 200),  # no zone: UTC
    ],
)
async def test_updated_since_at_the_ends_of_time(api, path, since, status) -> None:
    response = await api.get(path, params={"updated_since": since})
    assert response.status_code == status, response.text
    if status == 422:
        assert_problem(response, 422, "validation_error")
        assert response.json()["errors"][0]["field"] == "updated_since"


@pytest.mark.parametrize("path", ["/api/users", "/api/progress"])
async def test_a_cursor_with_a_zone_is_taken(api, path) -> None:
    cursor = cursor_of("2026-01-05T10:00:00+02:00", SOME_ID)
    response = await api.get(path, params={"cursor": cursor})
    assert response.status_code == 200, response.text
