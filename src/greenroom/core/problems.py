"""The problem+json error shape (docs/partner-api.md, Errors) as an OpenAPI schema, shared by
every route.

`install_problem_docs(app)` documents the error statuses on every `/api/` operation of the
served document, so each present and future endpoint describes its errors the same way and
schema-checking clients (and our schemathesis run) can rely on them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.errors import PROBLEM_JSON, problem_body


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str = Field(
        description="The field: a body field, a query parameter, or `partner_id` for the path.",
        examples=["email"],
    )
    message: str = Field(description="What is wrong with it.", examples=["This field is required."])


class BigInterviewError(BaseModel):
    """Big Interview's error object, for clients written against their API."""

    type: str = Field(description="The same as `code`.", examples=["validation_error"])
    message: str | dict[str, list[str]] = Field(
        description="For invalid fields, their messages by field (`{field: [messages]}`); "
        "otherwise the same as `detail`.",
        examples=[{"email": ["value is not a valid email address"]}],
    )


class Problem(BaseModel):
    """An RFC 9457 problem document, the body of every error. `code` is the stable part to
    branch on; `error` repeats it in Big Interview's shape."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="A URI naming the kind of problem: the code under "
        "`https://greenroom.dev/problems/`.",
        examples=["https://greenroom.dev/problems/invalid_partner_id"],
    )
    title: str = Field(description="The HTTP status's phrase.", examples=["Unprocessable Content"])
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str = Field(
        description="What went wrong, for a person.",
        examples=["A partner_id is 1 to 64 letters, digits, '-' or '_'."],
    )
    code: str = Field(
        description="Stable and snake_case: what your code acts on.",
        examples=["invalid_partner_id"],
    )
    request_id: str | None = Field(
        default=None,
        description="The request's id (also in `X-Request-Id`); quote it when asking for help.",
        examples=["3f0c4b1e9d2a4c6f8e1b7a5d9c3e2f10"],
    )
    errors: list[FieldError] | None = Field(
        default=None, description="With invalid fields: each field and its message."
    )
    error: BigInterviewError = Field(description="Big Interview's error object.")


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: bad JSON or form body, a malformed Authorization header or cursor.",
    401: "Missing, unknown, revoked or expired credentials.",
    403: "The key lacks the scope this operation needs, or the feature is not enabled.",
    404: "No such resource in this organization and environment.",
    409: "Conflict, e.g. an Idempotency-Key reused with a different request.",
    413: "The request body is over the size limit.",
    415: "The request body is neither application/json nor application/x-www-form-urlencoded, or not in UTF-8.",
    422: "Invalid fields; `errors` names each one.",
    429: "Too many requests; see Retry-After.",
    503: "The database is briefly unreachable; nothing was done. Retry after Retry-After.",
}
# One example body per status: (code, detail, field errors).
_PROBLEM_EXAMPLES: dict[int, tuple[str, str, list[dict[str, str]] | None]] = {
    400: ("invalid_auth_header", "The Authorization or X-API-Key header is malformed.", None),
    401: ("missing_credentials", "Send your API key in the Authorization header (or X-API-Key), e.g. 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'.", None),
    403: ("insufficient_scope", "This request needs the 'users:write' scope, which your credentials lack.", None),
    404: ("user_not_found", "No user with this partner_id in this organization and environment.", None),
    409: ("idempotency_key_reused", "This Idempotency-Key was used with a different request.", None),
    413: ("payload_too_large", "The request body is over the limit of 1048576 bytes.", None),
    415: ("unsupported_media_type", "Send the request body as application/json or application/x-www-form-urlencoded.", None),
    422: ("validation_error", "The request has invalid fields.", [{"field": "email", "message": "value is not a valid email address"}]),
    429: ("rate_limited", "Too many requests; retry later.", None),
    503: ("service_unavailable", "The service is briefly unavailable; retry after the Retry-After delay.", None),
}  # fmt: skip


def problem_example(status: int) -> dict[str, Any]:
    """An example error body for `status`, as the API writes it."""
    code, detail, errors = _PROBLEM_EXAMPLES[status]
    body = problem_body(status, code, HTTPStatus(status).phrase, detail, errors=errors)
    body["request_id"] = "3f0c4b1e9d2a4c6f8e1b7a5d9c3e2f10"
    if status == 422:
        body["title"] = "Unprocessable Content"
    return body


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
