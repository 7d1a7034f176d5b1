"""One error hierarchy, rendered everywhere as RFC 9457 problem+json (docs/partner-api.md, Errors).

Raise an `AppError` subclass from a service or a dependency; the handlers installed by
`install_error_handlers` turn it (and every framework error) into the documented shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from greenroom.core.logging import request_id_var

log = logging.getLogger("greenroom.errors")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://greenroom.dev/problems/"


class AppError(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal Server Error"
    default_detail: str = "Something went wrong on our side."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        if code:
            self.code = code
        self.extra = dict(extra or {})
        super().__init__(self.detail)


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "Bad Request"
    default_detail = "The request could not be understood."


class MalformedJSON(BadRequest):
    code = "malformed_json"
    default_detail = "The request body is not valid JSON."


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Unauthorized"
    default_detail = "Authentication is required."


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"
    default_detail = "You may not do this."


class FeatureNotEnabled(Forbidden):
    code = "feature_not_enabled"
    default_detail = "This feature is not enabled for your organization."


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not Found"
    default_detail = "The requested resource does not exist."


class MethodNotAllowed(AppError):
    status, code, title = 405, "method_not_allowed", "Method Not Allowed"
    default_detail = "This method is not allowed on this resource."


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"
    default_detail = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload Too Large"
    default_detail = "The request body is too large."


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported Media Type"
    default_detail = (
        "Send the request body as application/json or application/x-www-form-urlencoded."
    )


class ValidationFailed(AppError):
    status, code, title = 422, "validation_error", "Unprocessable Content"
    default_detail = "The request has invalid fields."


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too Many Requests"
    default_detail = "Too many requests; retry later."


class ServiceUnavailable(AppError):
    status, code, title = 503, "unavailable", "Service Unavailable"
    default_detail = "The service is not ready."


_BY_STATUS: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: RateLimited,
    503: ServiceUnavailable,
}


def problem_body(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[Mapping[str, str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id_var.get(),
    }
    if errors is not None:
        body["errors"] = list(errors)
    body["error"] = big_interview_error(code, detail, errors)
    if extra:
        body.update(extra)
    return body


def big_interview_error(
    code: str, detail: str, errors: Sequence[Mapping[str, str]] | None
) -> dict[str, Any]:
    """The `error` member Big Interview's clients read, beside the problem document's own members
    (RFC 9457 allows extensions): `type` is our `code`; `message` the field errors as
    `{field: [messages]}`, or the detail when no field is named."""
    if not errors:
        return {"type": code, "message": detail}
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.get("field") or "", []).append(error.get("message", ""))
    return {"type": code, "message": messages}


def problem_response(error: AppError) -> JSONResponse:
    body = problem_body(
        error.status, error.code, error.title, error.detail, errors=error.errors, extra=error.extra
    )
    return JSONResponse(
        body, status_code=error.status, headers=error.headers, media_type=PROBLEM_JSON
    )


def error_for_status(status: int, detail: str | None = None) -> AppError:
    cls = _BY_STATUS.get(status)
    if cls is None:
        error = AppError(detail)
        error.status = status
        error.title = HTTPStatus(status).phrase
        error.code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
        return error
    return cls(detail)


# Where a value may be one of several types, Pydantic names the alternative after the field
# (`format.literal['standard','biginterview']`, `url.none`): not part of the field's name.
_UNION_MEMBER = re.compile(r"[\[\]'(),-]|^(none|str|int|float|bool|list|dict)$")


def _field_name(loc: Sequence[Any]) -> str:
    parts = [
        str(p)
        for p in loc
        if p not in ("body", "query", "path", "header", "cookie")
        and not (isinstance(p, str) and _UNION_MEMBER.search(p))
    ]
    return ".".join(parts) or (str(loc[0]) if loc else "")


def validation_errors(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for err in raw:
        field = _field_name(err.get("loc", ()))
        if field in seen:
            continue  # another alternative of the same value: its first error says enough
        seen.add(field)
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "Unknown field."
        elif err.get("type") == "missing":
            message = "This field is required."
        out.append({"field": field, "message": message})
    return out


PageFor = Callable[[Request, "AppError"], Response | None]
"""A page for an error on a browser-facing path, or None where problem+json answers (the API)."""


def _respond(request: Request, error: AppError) -> Response:
    page_for: PageFor | None = getattr(request.app.state, "error_page_for", None)
    page = page_for(request, error) if page_for is not None else None
    return page if page is not None else problem_response(error)


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return _respond(request, exc)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (a path can have a route per method, and
    the router's own 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] != Match.NONE:
            methods.update(route_methods)
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
    if exc.status_code == 404:
        detail = "No such resource."
    error = error_for_status(exc.status_code, detail)
    if exc.headers:
        error.headers.update(exc.headers)
    if exc.status_code == 405:
        error.headers["Allow"] = allowed_methods(request) or error.headers.get("Allow", "")
    return _respond(request, error)


def validation_problem(exc: RequestValidationError) -> AppError:
    """The framework's validation error as ours: 400 for malformed JSON, else 422 with fields."""
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return MalformedJSON()
    return ValidationFailed(errors=validation_errors(raw))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _respond(request, validation_problem(exc))


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return _respond(request, AppError())


def install_error_handlers(app: FastAPI, *, page_for: PageFor | None = None) -> None:
    """The one set of error handlers: every error becomes an `AppError`, answered as
    problem+json, or as the page `page_for` makes for it on a browser-facing path."""
    app.state.error_page_for = page_for
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled)
