"""The API's operations, written once for both clients.

Each function builds the `Call` of one operation, with the parser of its answer; the clients
turn each into a method of the same signature (`sync.py`, `aio.py`: `operation(...)`), which runs
the call and returns the typed result, or an awaitable of it. The names in brackets are the
operations' `operationId`s in the OpenAPI document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from greenroom_client import models
from greenroom_client._core import Call, Meta, segment
from greenroom_client.models import Page, Response

M = TypeVar("M", bound=Response)


def one(model: type[M], envelope: str | None = None) -> Callable[[Any, Meta], M]:
    """The parser of an answer holding one object (in `envelope`, if named)."""

    def parse(body: Any, meta: Meta) -> M:
        return model.from_json(body[envelope] if envelope else body, meta.request_id)

    return parse


def page(model: type[M], name: str) -> Callable[[Any, Meta], Page[M]]:
    """The parser of a list answer: `{name: [...], "next_cursor": ...}`."""

    def parse(body: Any, meta: Meta) -> Page[M]:
        items = [model.from_json(item, meta.request_id) for item in body[name]]
        return Page(items, body.get("next_cursor"), meta.request_id)

    return parse


def _user_written(body: Any, meta: Meta) -> models.User:
    user = models.User.from_json(body["user"], meta.request_id)
    return dataclasses.replace(user, created=meta.status == 201)


def _empty(body: Any, meta: Meta) -> models.Empty:
    return models.Empty(request_id=meta.request_id, raw=body if isinstance(body, dict) else {})


# --- users -------------------------------------------------------------------------------------


def upsert_user(
    partner_id: str,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call[models.User]:
    """Create the user (first_name, last_name and email required) or update the fields given
    [createOrUpdateUser]. The `User` comes with a fresh sign-in `token`; `created` says which
    it was."""
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
    return Call(
        "POST",
        f"/api/users/{segment(partner_id)}",
        json=body,
        idempotency_key=idempotency_key,
        parse=_user_written,
    )


def refresh_user(partner_id: str, *, idempotency_key: str | None = None) -> Call[models.User]:
    """A fresh sign-in token for an existing user, changing nothing (Big Interview's refresh:
    the create call without a body) [createOrUpdateUser]."""
    return Call(
        "POST",
        f"/api/users/{segment(partner_id)}",
        idempotency_key=idempotency_key,
        parse=_user_written,
    )


def create_anonymous_user(*, idempotency_key: str | None = None) -> Call[models.User]:
    """A temporary user for 24 hours, with a generated `partner_id` and a sign-in token
    [createAnonymousUser]."""
    return Call(
        "POST", "/api/users/anonymous", idempotency_key=idempotency_key, parse=_user_written
    )


def get_user(partner_id: str) -> Call[models.User]:
    """One user [getUser]."""
    return Call("GET", f"/api/users/{segment(partner_id)}", parse=one(models.User, "user"))


def delete_user(partner_id: str) -> Call[models.Empty]:
    """Erase the user and all their data [deleteUser]."""
    return Call("DELETE", f"/api/users/{segment(partner_id)}", parse=_empty)


def list_users(
    *,
    cursor: str | None = None,
    limit: int | None = None,
    email: str | None = None,
    updated_since: datetime | str | None = None,
    anonymous: bool | None = None,
) -> Call[Page[models.User]]:
    """One page of users, least recently changed first [listUsers]."""
    return Call(
        "GET",
        "/api/users",
        params={
            "cursor": cursor,
            "limit": limit,
            "email": email,
            "updated_since": updated_since,
            "anonymous": anonymous,
        },
        parse=page(models.User, "users"),
    )


# --- progress ----------------------------------------------------------------------------------


def get_progress(partner_id: str) -> Call[models.Progress]:
    """One user's progress [getUserProgress]."""
    return Call(
        "GET", f"/api/users/{segment(partner_id)}/progress", parse=one(models.Progress, "progress")
    )


def list_progress(
    *,
    cursor: str | None = None,
    limit: int | None = None,
    updated_since: datetime | str | None = None,
) -> Call[Page[models.Progress]]:
    """One page of many users' progress, least recently changed first [listProgress]."""
    return Call(
        "GET",
        "/api/progress",
        params={"cursor": cursor, "limit": limit, "updated_since": updated_since},
        parse=page(models.Progress, "progress"),
    )


def get_tracks(partner_id: str) -> Call[models.Tracks]:
    """Big Interview's track shape [getUserTracks]."""
    return Call("GET", f"/api/users/{segment(partner_id)}/tracks", parse=one(models.Tracks))


def list_interviews(
    partner_id: str, *, cursor: str | None = None, limit: int | None = None
) -> Call[Page[models.Interview]]:
    """The user's practice interviews, most recently updated first [listUserInterviews]:
    every one of them (no cursor) unless `limit` or `cursor` asks for a page."""
    return Call(
        "GET",
        f"/api/users/{segment(partner_id)}/interviews",
        params={"cursor": cursor, "limit": limit},
        parse=page(models.Interview, "interviews"),
    )


# --- single sign-on ----------------------------------------------------------------------------


def create_sign_in_link(
    partner_id: str,
    *,
    redirect_to: str | None = None,
    expires_in: int | None = None,
    idempotency_key: str | None = None,
) -> Call[models.SignInLink]:
    """A one-time sign-in link: send the user's browser to its `url` [createSignInLink]."""
    body = {
        k: v for k, v in (("redirect_to", redirect_to), ("expires_in", expires_in)) if v is not None
    }
    return Call(
        "POST",
        f"/api/users/{segment(partner_id)}/sso",
        json=body,
        idempotency_key=idempotency_key,
        parse=one(models.SignInLink),
    )


# --- webhooks ----------------------------------------------------------------------------------


def create_webhook(
    *,
    url: str,
    events: list[str] | None = None,
    description: str | None = None,
    enabled: bool = True,
    format: str | None = None,
) -> Call[models.Webhook]:
    """A new endpoint, with its signing `secret` shown this once; `format="biginterview"` for Big
    Interview's envelope (the first such endpoint also carries `verification_key`, shown this
    once) [createWebhook]."""
    body: dict[str, Any] = {"url": url, "enabled": enabled}
    if events is not None:
        body["events"] = events
    if description is not None:
        body["description"] = description
    if format is not None:
        body["format"] = format
    return Call("POST", "/api/webhooks", json=body, parse=one(models.Webhook, "webhook"))


def get_webhook(webhook_id: str) -> Call[models.Webhook]:
    """One endpoint [getWebhook]."""
    return Call("GET", f"/api/webhooks/{segment(webhook_id)}", parse=one(models.Webhook, "webhook"))


def update_webhook(webhook_id: str, **fields: Any) -> Call[models.Webhook]:
    """Change `url`, `events`, `description`, `enabled` or `format` [updateWebhook]."""
    return Call(
        "POST",
        f"/api/webhooks/{segment(webhook_id)}",
        json=fields,
        parse=one(models.Webhook, "webhook"),
    )


def delete_webhook(webhook_id: str) -> Call[models.Empty]:
    """Delete the endpoint and its delivery log [deleteWebhook]."""
    return Call("DELETE", f"/api/webhooks/{segment(webhook_id)}", parse=_empty)


def rotate_webhook_secret(webhook_id: str) -> Call[models.WebhookSecret]:
    """A new signing secret, in effect at once [rotateWebhookSecret]."""
    return Call(
        "POST",
        f"/api/webhooks/{segment(webhook_id)}/rotate-secret",
        parse=one(models.WebhookSecret),
    )


def rotate_webhook_verification_key() -> Call[models.VerificationKey]:
    """A new verification key for this environment (Big Interview format), in effect at once
    [rotateWebhookVerificationKey]."""
    return Call(
        "POST",
        "/api/webhooks/verification-key/rotate",
        parse=one(models.VerificationKey),
    )


def list_webhooks(
    *, cursor: str | None = None, limit: int | None = None
) -> Call[Page[models.Webhook]]:
    """One page of endpoints [listWebhooks]."""
    return Call(
        "GET",
        "/api/webhooks",
        params={"cursor": cursor, "limit": limit},
        parse=page(models.Webhook, "webhooks"),
    )


def list_deliveries(
    webhook_id: str, *, cursor: str | None = None, limit: int | None = None
) -> Call[Page[models.Delivery]]:
    """One page of an endpoint's deliveries, newest first [listWebhookDeliveries]."""
    return Call(
        "GET",
        f"/api/webhooks/{segment(webhook_id)}/deliveries",
        params={"cursor": cursor, "limit": limit},
        parse=page(models.Delivery, "deliveries"),
    )


def get_delivery(webhook_id: str, delivery_id: str) -> Call[models.Delivery]:
    """One delivery with its `attempt_log` [getWebhookDelivery]."""
    return Call(
        "GET",
        f"/api/webhooks/{segment(webhook_id)}/deliveries/{segment(delivery_id)}",
        parse=one(models.Delivery, "delivery"),
    )


def resend_delivery(webhook_id: str, delivery_id: str) -> Call[models.Delivery]:
    """Send a delivery's event again, now, as a new delivery [resendWebhookDelivery]."""
    return Call(
        "POST",
        f"/api/webhooks/{segment(webhook_id)}/deliveries/{segment(delivery_id)}/resend",
        parse=one(models.Delivery, "delivery"),
    )


# --- authentication ----------------------------------------------------------------------------


def check_auth() -> Call[models.AuthCheck]:
    """What the credentials are: org, environment, key, scopes, admin [checkAuth]."""
    return Call("GET", "/api/auth/check", parse=one(models.AuthCheck))


def token_call(email: str, password: str) -> Call[models.Tokens]:
    # Never replayed from an idempotency store: the response holds fresh credentials.
    return Call(
        "POST",
        "/api/auth/token",
        json={"email": email, "password": password},
        idempotent_post=False,
        parse=one(models.Tokens),
    )


def refresh_call(refresh_token: str) -> Call[models.Tokens]:
    return Call(
        "POST",
        "/api/auth/refresh",
        json={"refresh_token": refresh_token},
        idempotent_post=False,
        parse=one(models.Tokens),
    )


def revoke_call(token: str) -> Call[models.Empty]:
    return Call(
        "POST", "/api/auth/revoke", json={"token": token}, idempotent_post=False, parse=_empty
    )
