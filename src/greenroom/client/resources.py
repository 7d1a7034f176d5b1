"""The API's operations, written once for both clients.

Each method builds a `Call` and hands it to the client's runner: the sync client returns the
decoded JSON, the async client an awaitable of it. Listing through every page is done by the
clients themselves (`iterate`), since a sync and an async iterator cannot share code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from greenroom.client._core import Call, segment

R = TypeVar("R")


class _Resource(Generic[R]):
    def __init__(self, run: Callable[[Call], R]) -> None:
        self._run = run


class Users(_Resource[R]):
    def upsert(
        self,
        partner_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> R:
        """Create the user (first_name, last_name and email required) or update the fields given.

        Returns `{"user": {..., "token": {"token", "expires_at"} | None}}`."""
        body = {
            k: v
            for k, v in (
                ("first_name", first_name),
                ("last_name", last_name),
                ("email", email),
                ("metadata", metadata),
            )
            if v is not None
        }
        return self._run(
            Call(
                "POST",
                f"/api/users/{segment(partner_id)}",
                json=body,
                idempotency_key=idempotency_key,
            )
        )

    def create_anonymous(self, *, idempotency_key: str | None = None) -> R:
        """A temporary user for 24 hours, with a generated `partner_id` and a sign-in token."""
        return self._run(Call("POST", "/api/users/anonymous", idempotency_key=idempotency_key))

    def get(self, partner_id: str) -> R:
        return self._run(Call("GET", f"/api/users/{segment(partner_id)}"))

    def delete(self, partner_id: str) -> R:
        """Erase the user and all their data (nothing is returned)."""
        return self._run(Call("DELETE", f"/api/users/{segment(partner_id)}"))

    def page(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        email: str | None = None,
        updated_since: datetime | str | None = None,
        anonymous: bool | None = None,
    ) -> R:
        """One page: `{"users": [...], "next_cursor": ...}`."""
        return self._run(
            Call(
                "GET",
                "/api/users",
                params={
                    "cursor": cursor,
                    "limit": limit,
                    "email": email,
                    "updated_since": updated_since,
                    "anonymous": anonymous,
                },
            )
        )


class Progress(_Resource[R]):
    def get(self, partner_id: str) -> R:
        """`{"progress": {...}}` for one user."""
        return self._run(Call("GET", f"/api/users/{segment(partner_id)}/progress"))

    def page(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        updated_since: datetime | str | None = None,
    ) -> R:
        """One page of many users' progress: `{"progress": [...], "next_cursor": ...}`."""
        return self._run(
            Call(
                "GET",
                "/api/progress",
                params={"cursor": cursor, "limit": limit, "updated_since": updated_since},
            )
        )

    def tracks(self, partner_id: str) -> R:
        """Big Interview's track shape: `{"tracks": [...]}`."""
        return self._run(Call("GET", f"/api/users/{segment(partner_id)}/tracks"))

    def interviews_page(
        self, partner_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> R:
        return self._run(
            Call(
                "GET",
                f"/api/users/{segment(partner_id)}/interviews",
                params={"cursor": cursor, "limit": limit},
            )
        )


class Sso(_Resource[R]):
    def create(
        self,
        partner_id: str,
        *,
        redirect_to: str | None = None,
        expires_in: int | None = None,
        idempotency_key: str | None = None,
    ) -> R:
        """A one-time sign-in token with the whole URL: `{"token", "url", "expires_at"}`.

        Send the user's browser to `url`."""
        body = {
            k: v
            for k, v in (("redirect_to", redirect_to), ("expires_in", expires_in))
            if v is not None
        }
        return self._run(
            Call(
                "POST",
                f"/api/users/{segment(partner_id)}/sso",
                json=body,
                idempotency_key=idempotency_key,
            )
        )


class Webhooks(_Resource[R]):
    def create(
        self,
        *,
        url: str,
        events: list[str] | None = None,
        description: str | None = None,
        enabled: bool = True,
    ) -> R:
        """Returns the endpoint with its signing `secret`, shown this once."""
        body: dict[str, Any] = {"url": url, "enabled": enabled}
        if events is not None:
            body["events"] = events
        if description is not None:
            body["description"] = description
        return self._run(Call("POST", "/api/webhooks", json=body))

    def get(self, webhook_id: str) -> R:
        return self._run(Call("GET", f"/api/webhooks/{segment(webhook_id)}"))

    def update(self, webhook_id: str, **fields: Any) -> R:
        return self._run(Call("POST", f"/api/webhooks/{segment(webhook_id)}", json=fields))

    def delete(self, webhook_id: str) -> R:
        return self._run(Call("DELETE", f"/api/webhooks/{segment(webhook_id)}"))

    def rotate_secret(self, webhook_id: str) -> R:
        return self._run(Call("POST", f"/api/webhooks/{segment(webhook_id)}/rotate-secret"))

    def page(self, *, cursor: str | None = None, limit: int | None = None) -> R:
        return self._run(Call("GET", "/api/webhooks", params={"cursor": cursor, "limit": limit}))

    def deliveries_page(
        self, webhook_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> R:
        return self._run(
            Call(
                "GET",
                f"/api/webhooks/{segment(webhook_id)}/deliveries",
                params={"cursor": cursor, "limit": limit},
            )
        )

    def resend(self, webhook_id: str, delivery_id: str) -> R:
        return self._run(
            Call(
                "POST",
                f"/api/webhooks/{segment(webhook_id)}/deliveries/{segment(delivery_id)}/resend",
            )
        )


def token_call(email: str, password: str) -> Call:
    # Never replayed from an idempotency store: the response holds fresh credentials.
    return Call(
        "POST",
        "/api/auth/token",
        json={"email": email, "password": password},
        idempotent_post=False,
    )


def refresh_call(refresh_token: str) -> Call:
    return Call(
        "POST", "/api/auth/refresh", json={"refresh_token": refresh_token}, idempotent_post=False
    )


def revoke_call(token: str) -> Call:
    return Call("POST", "/api/auth/revoke", json={"token": token}, idempotent_post=False)


CHECK_CALL = Call("GET", "/api/auth/check")
