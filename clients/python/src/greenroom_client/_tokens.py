from __future__ import annotations

from typing import TYPE_CHECKING

from greenroom_client._core import now

if TYPE_CHECKING:
    from greenroom_client.models import Tokens

REFRESH_MARGIN_SECONDS = 30.0


class TokenState:
    """The bearer tokens of a logged-in admin, if any, and when the access token runs out."""

    def __init__(self) -> None:
        self.access: str | None = None
        self.refresh: str | None = None
        self.expires_at = 0.0

    def store(self, tokens: Tokens) -> None:
        self.access = tokens.access_token
        self.refresh = tokens.refresh_token or self.refresh
        self.expires_at = now() + float(tokens.expires_in or 0)

    def clear(self) -> None:
        self.access = self.refresh = None
        self.expires_at = 0.0

    def needs_refresh(self) -> bool:
        return bool(
            self.access and self.refresh and now() >= self.expires_at - REFRESH_MARGIN_SECONDS
        )

    def headers(self, api_key: str, *, bearer: bool = True) -> dict[str, str]:
        if bearer and self.access:
            return {"X-API-Key": api_key, "Authorization": f"Bearer {self.access}"}
        if not bearer:
            return {"X-API-Key": api_key}
        return {"Authorization": api_key}
