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
    return body


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
        headers={"content-type": "application/x-www-form-urlencoded"},
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
