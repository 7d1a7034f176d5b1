"""JSON responses written without a model pass, and the one timestamp format of the API.

FastAPI validates and serializes an endpoint's return value through its response model; for a
body already built from the database (`core.direct`) that costs more than the read. Hot endpoints
keep `response_model` for the OpenAPI document and return `json_response(...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as every timestamp of the API and its webhooks."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content), status_code, headers=headers, media_type="application/json"
    )
