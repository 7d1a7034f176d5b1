"""Every keyset cursor is parsed by one rule (`core.pagination.decode_position`): a cursor that is
not one we wrote, a timestamp without a zone included, is a 400 `invalid_cursor`, never a 500."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.core.test_errors import assert_problem


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
}


@pytest.mark.parametrize("path", ["/api/users", "/api/progress"])
@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
async def test_a_cursor_we_did_not_write_is_400_invalid_cursor(api, path, cursor) -> None:
    assert_problem(await api.get(path, params={"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize("path", ["/api/users", "/api/progress"])
async def test_a_cursor_with_a_zone_is_taken(api, path) -> None:
    cursor = cursor_of("2026-01-05T10:00:00+02:00", SOME_ID)
    response = await api.get(path, params={"cursor": cursor})
    assert response.status_code == 200, response.text
