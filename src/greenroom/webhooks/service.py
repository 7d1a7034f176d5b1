"""Webhook endpoints and their deliveries: everything the API, the admin pages and the worker share.

- Management (create, list, get, update, delete, rotate the secret) for one tenant (org AND
  environment); another tenant's endpoint is a NotFound. An endpoint's `format` chooses what its
  deliveries look like (`webhooks.formats`); the Big Interview format sends the tenant's
  verification key, made with its first such endpoint and rotated here.
- `record_event` is subscribed to `greenroom.core.events`: it writes the message and one delivery
  row per matching enabled endpoint in the transaction of the change that caused the event, each
  in its endpoint's queue for the event's user (`ordering_key`, `ordering_seq`).
- Deliveries: the log of an endpoint, and a manual resend. Sending is `webhooks.worker`.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import clock, events
from greenroom.core.db import new_id
from greenroom.core.direct import Executor
from greenroom.core.errors import Conflict, NotFound, ValidationFailed
from greenroom.core.pagination import decode_cursor, decode_time, encode_cursor
from greenroom.core.responses import iso
from greenroom.core.settings import Settings
from greenroom.core.text import BIDI_MESSAGE, has_bidi_controls
from greenroom.tenancy.context import Tenant
from greenroom.webhooks import formats, repository, signing, ssrf
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookVerificationKey,
)

ALL_EVENTS = repository.ALL_EVENTS
DELIVERY_STATUSES = ("pending", "succeeded", "failed")
MAX_DESCRIPTION = 500


class InvalidWebhookUrl(ValidationFailed):
    code = "invalid_webhook_url"


class TooManyEndpoints(ValidationFailed):
    code = "too_many_webhook_endpoints"


class WebhookDisabled(Conflict):
    code = "webhook_disabled"
    default_detail = "The webhook endpoint is disabled; enable it before resending."


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # whsec_...: shown once, never returned again
    # The tenant's verification key, when this call made it (its first endpoint in the Big
    # Interview format): shown once, never returned again.
    verification_key: str | None = None


@dataclass(frozen=True, slots=True)
class UpdatedEndpoint:
    endpoint: WebhookEndpoint
    verification_key: str | None = None  # as `CreatedEndpoint.verification_key`


@dataclass(frozen=True, slots=True)
class VerificationKeyInfo:
    """What may be shown of a verification key after it was made: never the key itself."""

    hint: str  # its last four characters
    created_at: datetime


def message_id(message: WebhookMessage | uuid.UUID) -> str:
    """The `webhook-id` header: the same for every attempt and resend of one message."""
    raw = message.id if isinstance(message, WebhookMessage) else message
    return f"msg_{raw.hex}"


def _cursor_time_text(value: datetime) -> str:
    """A cursor's time, to the microsecond (payloads use `core.responses.iso`, to the millisecond:
    a cursor cut like that would hand out rows of the same millisecond twice)."""
    return value.astimezone(UTC).isoformat()


def _parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No such {what}.") from None


def normalise_events(values: Sequence[str] | None) -> list[str]:
    if values is not None and not values:
        raise ValidationFailed(
            'List at least one event type, or ["*"] for all of them.',
            errors=[{"field": "events", "message": "empty"}],
        )
    if values is None or ALL_EVENTS in values:
        return [ALL_EVENTS]
    unknown = [v for v in values if v not in events.EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type {unknown[0]!r}.",
            errors=[
                {
                    "field": "events",
                    "message": "one of: " + ", ".join((*events.EVENT_TYPES, ALL_EVENTS)),
                }
            ],
        )
    return sorted(set(values))


async def check_url(url: str, settings: Settings) -> str:
    url = url.strip()
    try:
        await ssrf.resolve(url, settings)
    except ssrf.UnsafeUrl as exc:
        raise InvalidWebhookUrl(str(exc), errors=[{"field": "url", "message": str(exc)}]) from None
    return url


def check_format(value: str) -> str:
    if value not in formats.FORMATS:
        raise ValidationFailed(
            f"Unknown format {value!r}.",
            errors=[{"field": "format", "message": "one of: " + ", ".join(formats.FORMATS)}],
        )
    return value


def _check_description(description: str | None) -> str | None:
    if description is None:
        return None
    description = description.strip()
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n" for c in description):
        raise ValidationFailed(
            errors=[{"field": "description", "message": "no control characters"}]
        )
    if has_bidi_controls(description):
        raise ValidationFailed(errors=[{"field": "description", "message": BIDI_MESSAGE}])
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            errors=[{"field": "description", "message": f"at most {MAX_DESCRIPTION} characters"}]
        )
    return description or None


# --- endpoints ---------------------------------------------------------------------------------


async def create_endpoint(
    session: AsyncSession,
    tenant: Tenant,
    *,
    settings: Settings,
    url: str,
    events: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool = True,
    format: str = formats.STANDARD,
) -> CreatedEndpoint:
    url = await check_url(url, settings)
    format = check_format(format)
    cap = settings.webhooks_max_endpoints_per_org
    if await repository.count_org_endpoints(session, tenant.org_id) >= cap:
        raise TooManyEndpoints(
            f"This organization already has {cap} webhook endpoints (production and sandbox "
            "together), the most it may have. Delete one you no longer use, or send several "
            "event types to one endpoint.",
            errors=[
                {
                    "field": "url",
                    "message": f"At most {cap} endpoints per organization (production and "
                    "sandbox together): delete one first.",
                }
            ],
        )
    endpoint = WebhookEndpoint(
        id=new_id(),
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        url=url,
        description=_check_description(description),
        events=normalise_events(events),
        enabled=enabled,
        disabled_reason=None if enabled else "manual",
        disabled_at=None if enabled else clock.now(),
        format=format,
    )
    secret = _set_secret(endpoint, settings)
    session.add(endpoint)
    # (The org's row is locked by the count above: a key is made once however many creates
    # race.)
    made = None
    if format == formats.BIGINTERVIEW:
        made = await _ensure_verification_key(session, tenant, settings, locked=True)
    await session.flush()
    return CreatedEndpoint(endpoint, secret, made)


def _set_secret(endpoint: WebhookEndpoint, settings: Settings) -> str:
    secret = signing.generate()
    server_secret = settings.server_secrets[0]
    endpoint.secret_ciphertext = signing.encrypt(server_secret, endpoint.id, secret)
    endpoint.secret_version = server_secret.version
    return secret


async def get_endpoint(
    session: AsyncSession, tenant: Tenant, endpoint_id: str | uuid.UUID
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(
        session, tenant, _parse_id(endpoint_id, "webhook endpoint")
    )
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


async def list_endpoints(
    session: AsyncSession, tenant: Tenant, *, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[WebhookEndpoint], str | None]:
    after = None
    if cursor:
        created, last_id = decode_cursor(cursor, 2)
        after = (decode_time(created), _cursor_uuid(last_id))
    rows = await repository.list_endpoints(session, tenant, limit=limit + 1, after=after)
    page = rows[:limit]
    next_cursor = (
        encode_cursor([_cursor_time_text(page[-1].created_at), str(page[-1].id)])
        if len(rows) > limit
        else None
    )
    return page, next_cursor


_UNSET: Any = object()


async def update_endpoint(
    session: AsyncSession,
    tenant: Tenant,
    endpoint_id: str | uuid.UUID,
    *,
    settings: Settings,
    url: str = _UNSET,
    events: Sequence[str] | None = _UNSET,
    description: str | None = _UNSET,
    enabled: bool = _UNSET,
    format: str = _UNSET,
) -> UpdatedEndpoint:
    """Change what is given. Enabling clears the "disabled because failing" state. A format
    change applies to every delivery sent from then on, retries of earlier events included."""
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    made = None
    if format is not _UNSET:
        endpoint.format = check_format(format)
        if endpoint.format == formats.BIGINTERVIEW:
            made = await _ensure_verification_key(session, tenant, settings)
    if url is not _UNSET:
        endpoint.url = await check_url(url, settings)
    if events is not _UNSET:
        endpoint.events = normalise_events(events)
    if description is not _UNSET:
        endpoint.description = _check_description(description)
    if enabled is not _UNSET:
        if enabled and not endpoint.enabled:
            endpoint.enabled = True
            endpoint.disabled_reason = endpoint.disabled_at = None
            endpoint.failing_since = None
        elif not enabled and endpoint.enabled:
            disable(endpoint, "manual")
    endpoint.updated_at = clock.now()
    await session.flush()
    return UpdatedEndpoint(endpoint, made)


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = clock.now()


async def delete_endpoint(
    session: AsyncSession, tenant: Tenant, endpoint_id: str | uuid.UUID
) -> None:
    """Deletes the endpoint with its delivery log; nothing more is sent to it."""
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    await session.delete(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, tenant: Tenant, endpoint_id: str | uuid.UUID, *, settings: Settings
) -> str:
    """A new secret, effective at once (deliveries still queued are signed with it)."""
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    secret = _set_secret(endpoint, settings)
    endpoint.updated_at = clock.now()
    await session.flush()
    return secret


def endpoint_secret(endpoint: WebhookEndpoint, settings: Settings) -> str:
    return signing.decrypt(
        settings.server_secrets, endpoint.secret_version, endpoint.id, endpoint.secret_ciphertext
    )


# --- the verification key (Big Interview format) ------------------------------------------------


async def _ensure_verification_key(
    session: AsyncSession, tenant: Tenant, settings: Settings, *, locked: bool = False
) -> str | None:
    """Make the tenant's verification key if it has none: the new key, or None."""
    if not locked:
        await repository.lock_org(session, tenant.org_id)
    if await repository.get_verification_key(session, tenant) is not None:
        return None
    return await _set_verification_key(session, tenant, settings, None)


async def _set_verification_key(
    session: AsyncSession,
    tenant: Tenant,
    settings: Settings,
    row: WebhookVerificationKey | None,
) -> str:
    key = signing.generate_verification_key()
    server_secret = settings.server_secrets[0]
    environment = tenant.environment.value
    if row is None:
        row = WebhookVerificationKey(org_id=tenant.org_id, environment=environment)
        session.add(row)
    row.key_ciphertext = signing.encrypt_key(server_secret, tenant.org_id, environment, key)
    row.key_version = server_secret.version
    row.hint = key[-4:]
    row.created_at = clock.now()
    await session.flush()
    return key


async def rotate_verification_key(
    session: AsyncSession, tenant: Tenant, *, settings: Settings
) -> str:
    """A new verification key for the tenant (made if it had none), in force at once: every
    delivery from now on, retries of earlier events included, carries it."""
    await repository.lock_org(session, tenant.org_id)
    row = await repository.get_verification_key(session, tenant)
    return await _set_verification_key(session, tenant, settings, row)


async def verification_key_info(
    session: AsyncSession, tenant: Tenant
) -> VerificationKeyInfo | None:
    row = await repository.get_verification_key(session, tenant)
    return None if row is None else VerificationKeyInfo(row.hint, row.created_at)


def verification_key(row: WebhookVerificationKey, settings: Settings) -> str:
    return signing.decrypt_key(
        settings.server_secrets, row.key_version, row.org_id, row.environment, row.key_ciphertext
    )


@dataclass(frozen=True, slots=True)
class DisabledState:
    """What the admin area shows for an endpoint that is not receiving."""

    reason: str  # "manual" or "failing"
    at: datetime | None
    failing_since: datetime | None
    last_error: str | None


def disabled_state(endpoint: WebhookEndpoint) -> DisabledState | None:
    if endpoint.enabled:
        return None
    return DisabledState(
        reason=endpoint.disabled_reason or "manual",
        at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_error=endpoint.last_error,
    )


# --- deliveries --------------------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession,
    tenant: Tenant,
    endpoint_id: str | uuid.UUID,
    *,
    limit: int = 50,
    cursor: str | None = None,
    status: str | None = None,
) -> tuple[Sequence[WebhookDelivery], str | None]:
    """The endpoint's delivery log, newest first."""
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    if status is not None and status not in DELIVERY_STATUSES:
        raise ValidationFailed(
            errors=[{"field": "status", "message": "one of: " + ", ".join(DELIVERY_STATUSES)}]
        )
    before = None
    if cursor:
        created, last_id = decode_cursor(cursor, 2)
        before = (decode_time(created), _cursor_uuid(last_id))
    rows = await repository.list_deliveries(
        session, tenant, endpoint.id, limit=limit + 1, before=before, status=status
    )
    page = rows[:limit]
    next_cursor = (
        encode_cursor([_cursor_time_text(page[-1].created_at), str(page[-1].id)])
        if len(rows) > limit
        else None
    )
    return page, next_cursor


async def get_delivery(
    session: AsyncSession,
    tenant: Tenant,
    endpoint_id: str | uuid.UUID,
    delivery_id: str | uuid.UUID,
) -> WebhookDelivery:
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    delivery = await repository.get_delivery(
        session, tenant, endpoint.id, _parse_id(delivery_id, "delivery")
    )
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


async def list_attempts(
    session: AsyncSession,
    tenant: Tenant,
    endpoint_id: str | uuid.UUID,
    delivery_id: str | uuid.UUID,
) -> tuple[WebhookDelivery, Sequence[WebhookAttempt]]:
    """A delivery with every attempt made so far (oldest first)."""
    delivery = await get_delivery(session, tenant, endpoint_id, delivery_id)
    return delivery, await repository.list_attempts(session, delivery.id)


async def resend(
    session: AsyncSession,
    tenant: Tenant,
    endpoint_id: str | uuid.UUID,
    delivery_id: str | uuid.UUID,
) -> WebhookDelivery:
    """Queue the delivery's message again, as a new delivery due now (same `webhook-id`), at the
    end of its user's queue for the endpoint (after the user's deliveries still pending)."""
    original = await get_delivery(session, tenant, endpoint_id, delivery_id)
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    if not endpoint.enabled:
        raise WebhookDisabled()
    now = clock.now()
    seq = None
    if original.ordering_key is not None:
        seq = await repository.next_in_queue(session, endpoint.id, original.ordering_key)
    delivery = WebhookDelivery(
        id=new_id(),
        org_id=original.org_id,
        environment=original.environment,
        endpoint_id=original.endpoint_id,
        message_id=original.message_id,
        event_type=original.event_type,
        created_at=now,
        next_attempt_at=now,
        resend_of_id=original.id,
        ordering_key=original.ordering_key,
        ordering_seq=seq,
    )
    session.add(delivery)
    await session.flush()
    return delivery


# --- the outbox --------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _event_body(event: Mapping[str, Any]) -> str:
    """The message's JSON, compact. orjson writes it in ~2 us where `json` takes ~10 (every
    change writes one); what orjson refuses (a lone surrogate, an integer over 64 bits, a key
    that is not a string) goes through `json`, escaped to ASCII so that the insert cannot fail
    on it. orjson writes NaN and infinities as null, as the API's own responses do."""
    try:
        return orjson.dumps(
            event, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME
        ).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(event, default=_json_default, separators=(",", ":"))


async def record_event(
    on: Executor,
    tenant: Tenant,
    event_type: str,
    data: Mapping[str, Any],
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    """The events subscriber: queue the event for every enabled endpoint that wants it.

    A `user.deleted` first forgets the user's finished deliveries (erasure: only the
    `user.deleted` delivery outlives the user in the log; docs/privacy.md)."""
    key = formats.ordering_key(data)
    if event_type == repository.KEPT_AFTER_ERASURE and key is not None:
        # Users are erased through ORM sessions (users.service.erase).
        assert isinstance(on, AsyncSession), "user.deleted published outside an ORM session"
        await repository.forget_user_history(on, tenant.org_id, tenant.environment.value, key)
    now = clock.now()
    body = _event_body({"type": event_type, "timestamp": iso(now), "data": data})
    message = {
        "id": new_id(),
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "event_type": event_type,
        "body": body,
        "created_at": now,
    }
    await repository.insert_event(on, message, ordering_key=key)


def _cursor_uuid(value: object) -> uuid.UUID:
    from greenroom.core.pagination import InvalidCursor

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidCursor() from None
