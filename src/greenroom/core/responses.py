"""JSON responses written without a model pass, and the one timestamp format of the API.

FastAPI validates and serializes an endpoint's return value through its response model; for a
body already built from the database (`core.direct`) that costs more than the read. Hot endpoints
keep `response_model` for the OpenAPI document and return `json_response(...)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, overload

import orjson
from pydantic import PlainSerializer, WithJsonSchema
from starlette.responses import Response


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
@overload
def iso(value: datetime | None) -> str | None: ...
def iso(value: datetime | None) -> str | None:
    """The one format of every timestamp we hand out (API, webhooks, CSV): ISO 8601 in UTC with
    exactly three fractional digits and a `Z`, as Big Interview writes them
    (`2015-01-01T00:00:00.000Z`). Cut, not rounded, so a time read back as `updated_since` never
    lies after the moment it names."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


# A `datetime` field of a response model, serialised by `iso` (pydantic's own format would keep
# the microseconds and write `+00:00` or nothing). Every response schema uses it for its times.
Timestamp = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 in UTC with milliseconds, e.g. 2026-11-23T12:00:00.000Z.",
        },
        mode="serialization",
    ),
]


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`content` as JSON. What orjson refuses goes through `json`: integers over 64 bits, which
    metadata stored before the API refused them may hold (docs/users.md)."""
    try:
        body = orjson.dumps(content)
    except TypeError:  # orjson.JSONEncodeError is one
        body = json.dumps(content, separators=(",", ":")).encode()
    return Response(body, status_code, headers=headers, media_type="application/json")
