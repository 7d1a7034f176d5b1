"""Authentication and authorization errors, with the statuses and codes of docs/partner-api.md,
Statuses."""

from __future__ import annotations

from greenroom.core.errors import BadRequest, Forbidden, Unauthorized

REALM = 'realm="greenroom"'


class MissingCredentials(Unauthorized):
    code = "missing_credentials"
    default_detail = (
        "Send your API key in the Authorization header (or X-API-Key), "
        "e.g. 'Authorization: 935d85189822bf96c28c4fa79d3d8f31'."
    )

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": f"Bearer {REALM}"})


class InvalidAuthHeader(BadRequest):
    code = "invalid_auth_header"
    default_detail = "The Authorization or X-API-Key header is malformed."


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    default_detail = "The API key is not valid for this organization and environment."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail,
            headers={
                "WWW-Authenticate": f'Bearer {REALM}, error="invalid_token", '
                'error_description="invalid API key"'
            },
        )


class InvalidToken(Unauthorized):
    code = "invalid_token"
    default_detail = "The bearer token is invalid or has expired."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail, headers={"WWW-Authenticate": f'Bearer {REALM}, error="invalid_token"'}
        )


class InsufficientScope(Forbidden):
    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"This request needs the '{scope}' scope, which your credentials lack.",
            headers={
                "WWW-Authenticate": f'Bearer {REALM}, error="insufficient_scope", scope="{scope}"'
            },
            extra={"scope": scope},
        )
