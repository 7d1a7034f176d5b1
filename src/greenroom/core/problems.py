"""The problem+json error shape (docs/partner-api.md, Errors) as an OpenAPI schema, shared by
every route.

`install_problem_docs(app)` documents the error statuses on every `/api/` operation of the
served document, so each present and future endpoint describes its errors the same way and
schema-checking clients (and our schemathesis run) can rely on them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.errors import PROBLEM_JSON


class FieldError(BaseModel):
    field: str = Field(examples=["email"])
    message: str = Field(examples=["This field is required."])


class Problem(BaseModel):
    """An RFC 9457 problem document. `code` is the stable part to branch on."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://greenroom.dev/problems/invalid_partner_id"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["A partner_id is 1 to 64 letters, digits, '-' or '_'."])
    code: str = Field(examples=["invalid_partner_id"])
    request_id: str | None = Field(default=None, examples=["3f0c4b1e9d2a4c6f8e1b7a5d9c3e2f10"])
    errors: list[FieldError] | None = None


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: bad JSON, a malformed Authorization header or cursor.",
    401: "Missing, unknown, revoked or expired credentials.",
    403: "The key lacks the scope this operation needs, or the feature is not enabled.",
    404: "No such resource in this organization and environment.",
    409: "Conflict, e.g. an Idempotency-Key reused with a different request.",
    413: "The request body is over the size limit.",
    415: "The request body is not application/json, or not in UTF-8.",
    422: "Invalid fields; `errors` names each one.",
    429: "Too many requests; see Retry-After.",
    503: "The database is briefly unreachable; nothing was done. Retry after Retry-After.",
}
API_ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
# Every POST under /api/ honours it (greenroom.idempotency); documented once, here.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the first response to this key is replayed for 24 hours; "
    "the same key with a different request is 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "example": "3f6c1a52-create-abc123def",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given statuses, each as problem+json."""
    return {
        status: {
            "model": Problem,
            "description": ERROR_DESCRIPTIONS.get(status, "Error."),
            "content": {PROBLEM_JSON: {}},
        }
        for status in statuses
    }


def _problem_entry(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def install_problem_docs(app: FastAPI) -> None:
    """Add the problem+json error responses to every `/api/` operation of the OpenAPI document,
    and the `Idempotency-Key` header to every `/api/` POST.

    FastAPI's own 422 entry (an `application/json` HTTPValidationError we never send) is replaced.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault(
            "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        defs = schemas["Problem"].pop("$defs", {})
        schemas.update(defs)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path, operations in doc.get("paths", {}).items():
            if not path.startswith("/api/"):
                for operation in operations.values():
                    # FastAPI's 422 (HTTPValidationError, removed above) is never sent there.
                    operation.get("responses", {}).pop("422", None)
                continue
            for method, operation in operations.items():
                if method == "post":
                    parameters = operation.setdefault("parameters", [])
                    if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
                responses = operation.setdefault("responses", {})
                for status in API_ERROR_STATUSES:
                    existing = responses.get(str(status))
                    if existing is None or PROBLEM_JSON not in existing.get("content", {}):
                        responses[str(status)] = _problem_entry(status)
                    else:
                        existing["content"] = {
                            PROBLEM_JSON: _problem_entry(status)["content"][PROBLEM_JSON]
                        }
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
