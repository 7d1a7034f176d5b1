"""One exception class per error `code` of the Partner API (docs/partner-api.md, Statuses and
Errors)."""

from __future__ import annotations

from typing import Any


class GreenroomError(Exception):
    """Base of every error the SDK raises. API errors carry the problem+json fields."""

    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        if code:
            self.code = code
        self.request_id = request_id
        self.body = body or {}
        self.headers = headers or {}

    @property
    def errors(self) -> list[dict[str, str]]:
        """Field errors of a 422 (`[{"field", "message"}]`)."""
        return list(self.body.get("errors") or [])

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (request_id {self.request_id})" if self.request_id else text


class ConnectionFailed(GreenroomError):
    code = "connection_failed"


class BadRequest(GreenroomError):
    code = "bad_request"


class MalformedJSON(BadRequest):
    code = "malformed_json"


class InvalidAuthHeader(BadRequest):
    code = "invalid_auth_header"


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


class AuthenticationError(GreenroomError):
    code = "unauthorized"


class MissingCredentials(AuthenticationError):
    code = "missing_credentials"


class InvalidApiKey(AuthenticationError):
    code = "invalid_api_key"


class InvalidToken(AuthenticationError):
    code = "invalid_token"


class PermissionDenied(GreenroomError):
    code = "forbidden"


class InsufficientScope(PermissionDenied):
    code = "insufficient_scope"


class FeatureNotEnabled(PermissionDenied):
    code = "feature_not_enabled"


class NotFound(GreenroomError):
    code = "not_found"


class UnknownHost(NotFound):
    code = "unknown_host"


class Conflict(GreenroomError):
    code = "conflict"


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"


class MalformedForm(BadRequest):
    code = "malformed_form"


class UserNotFound(NotFound):
    code = "user_not_found"


class PayloadTooLarge(GreenroomError):
    code = "payload_too_large"


class UnsupportedMediaType(GreenroomError):
    code = "unsupported_media_type"


class ValidationError(GreenroomError):
    code = "validation_error"


class InvalidPartnerId(ValidationError):
    code = "invalid_partner_id"


class InvalidRedirect(ValidationError):
    code = "invalid_redirect"


class RateLimited(GreenroomError):
    code = "rate_limited"

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class ServerError(GreenroomError):
    code = "internal_error"


def _all_subclasses(cls: type[GreenroomError]) -> list[type[GreenroomError]]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


BY_CODE: dict[str, type[GreenroomError]] = {c.code: c for c in _all_subclasses(GreenroomError)}
BY_STATUS: dict[int, type[GreenroomError]] = {
    400: BadRequest, 401: AuthenticationError, 403: PermissionDenied, 404: NotFound,
    409: Conflict, 413: PayloadTooLarge, 415: UnsupportedMediaType, 422: ValidationError,
    429: RateLimited,
}  # fmt: skip


def error_from_response(status: int, body: Any, headers: dict[str, str]) -> GreenroomError:
    data = body if isinstance(body, dict) else {}
    code = str(data.get("code") or "")
    cls = (
        BY_CODE.get(code)
        or BY_STATUS.get(status)
        or (ServerError if status >= 500 else GreenroomError)
    )
    message = str(data.get("detail") or data.get("title") or f"HTTP {status}")
    return cls(
        message,
        status=status,
        code=code or None,
        request_id=data.get("request_id") or headers.get("x-request-id"),
        body=data,
        headers=headers,
    )
