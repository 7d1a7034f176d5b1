"""Every error status comes out as problem+json with a code and the request id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert_big_interview_error(body)
    return body


def assert_big_interview_error(body: dict[str, Any]) -> None:
    """Big Interview's `error` member beside the problem document's own (issue 16, item 4)."""
    error = body["error"]
    assert set(error) == {"type", "message"} and error["type"] == body["code"]
    if body.get("errors"):
        expected: dict[str, list[str]] = {}
        for item in body["errors"]:
            expected.setdefault(item["field"], []).append(item["message"])
        assert error["message"] == expected
    else:
        assert error["message"] == body["detail"]


async def test_echo_works_with_valid_json(partner) -> None:
    api = partner.bare
    response = await api.post("/api/_probe/echo", json={"name": "a", "count": 1})
    assert response.status_code == 200
    assert response.json()["environment"] == "production"


async def test_malformed_json_is_400(partner) -> None:
    api = partner.bare
    response = await api.post(
        "/api/_probe/echo", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


async def test_wrong_content_type_is_415(partner) -> None:
    api = partner.bare
    response = await api.post(
        "/api/_probe/echo",
        content=b"name=a",
        headers={"content-type": "text/plain"},
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_body_over_limit_is_413(partner, settings) -> None:
    api = partner.bare
    big = b'{"name": "' + b"a" * (settings.max_body_bytes + 10) + b'", "count": 1}'
    response = await api.post(
        "/api/_probe/echo", content=big, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_streamed_body_over_limit_is_413(partner, settings) -> None:
    api = partner.bare

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"a" * 65536
        yield b'", "count": 1}'

    response = await api.post(
        "/api/_probe/echo", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_validation_error_is_422_with_field_list(partner) -> None:
    api = partner.bare
    response = await api.post("/api/_probe/echo", json={"count": "many", "extra": 1})
    body = assert_problem(response, 422, "validation_error")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"name", "count", "extra"}
    assert fields["extra"] == "Unknown field."
    assert fields["name"] == "This field is required."


async def test_unknown_route_is_404(partner) -> None:
    api = partner.bare
    assert_problem(await api.get("/api/nothing-here"), 404, "not_found")


async def test_wrong_method_is_405(partner) -> None:
    api = partner.bare
    assert_problem(await api.delete("/api/_probe/echo"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("status", "code"), [(401, "unauthorized"), (403, "forbidden"), (429, "rate_limited")]
)
async def test_raised_errors_render(partner, status: int, code: str) -> None:
    api = partner.bare
    response = await api.get(f"/api/_probe/fail/{status}")
    assert_problem(response, status, code)
    if status == 429:
        assert response.headers["retry-after"] == "7"


async def test_500_hides_internals_and_logs_request_id(partner, caplog) -> None:
    api = partner.bare
    with caplog.at_level(logging.ERROR, logger="greenroom.errors"):
        response = await api.get("/api/_probe/fail/500")
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text and "SELECT" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if r.name == "greenroom.errors"]
    assert records and records[-1].exc_info is not None
    from greenroom.core.logging import JsonFormatter

    line = JsonFormatter().format(records[-1])
    assert body["request_id"] in line


async def test_request_id_is_echoed_when_sane(partner) -> None:
    api = partner.bare
    response = await api.get("/api/nothing", headers={"X-Request-Id": "abc-123.x"})
    assert response.headers["x-request-id"] == "abc-123.x"
    assert response.json()["request_id"] == "abc-123.x"
    response = await api.get("/api/nothing", headers={"X-Request-Id": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


async def test_every_kind_of_api_error_carries_big_interviews_error_member(
    partner, client_for
) -> None:
    """The same body serves RFC 9457 clients and Big Interview's: `error.type` is the code,
    `error.message` the field messages by field, or the detail."""
    api, bare = partner.api, partner.bare
    await api.post(
        "/api/users/abc123def",
        json={"first_name": "Jane", "last_name": "Doe", "email": "jane@xyz.example.com"},
        headers={"Idempotency-Key": "k-1"},
    )
    cases = [
        (await bare.get("/api/users/abc123def"), 401, "missing_credentials"),
        (
            await bare.get("/api/users", headers={"Authorization": "short"}),
            400,
            "invalid_auth_header",
        ),
        (await api.get("/api/users/nobody"), 404, "user_not_found"),
        (await api.get("/api/users/bad.id"), 422, "invalid_partner_id"),
        (await api.get("/api/users?limit=0"), 422, "validation_error"),
        (await api.get("/api/users?cursor=nope"), 400, "invalid_cursor"),
        (
            await api.post("/api/users/abc123def", json={"email": "x"}),
            422,
            "validation_error",
        ),
        (
            await api.post(
                "/api/users/abc123def", content=b"{", headers={"content-type": "application/json"}
            ),
            400,
            "malformed_json",
        ),
        (
            await api.post(
                "/api/users/abc123def", content=b"x", headers={"content-type": "text/csv"}
            ),
            415,
            "unsupported_media_type",
        ),
        (
            await api.post(
                "/api/users/abc123def", json={"first_name": "B"}, headers={"Idempotency-Key": "k-1"}
            ),
            409,
            "idempotency_key_reused",
        ),
        (await api.get("/api/nothing-here"), 404, "not_found"),
        (await client_for("no-such-org-here").get("/api/users"), 404, "unknown_host"),
    ]
    for response, status, code in cases:
        body = assert_problem(response, status, code)
        if status == 422 and code == "validation_error":
            assert isinstance(body["error"]["message"], dict) and body["error"]["message"]
