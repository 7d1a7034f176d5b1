"""`/api/webhooks`: endpoints that receive signed events, and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from greenroom.auth.guard import ApiRoute, principal_of, requires
from greenroom.core.db import SessionDep
from greenroom.core.errors import ValidationFailed
from greenroom.core.pagination import PageDep
from greenroom.core.settings import Settings
from greenroom.keys.scopes import Scope
from greenroom.webhooks import service
from greenroom.webhooks.schemas import (
    AttemptOut,
    DeliveryDetailEnvelope,
    DeliveryDetailOut,
    DeliveryEnvelope,
    DeliveryList,
    DeliveryOut,
    SecretOut,
    VerificationKeyOut,
    WebhookCreate,
    WebhookCreatedEnvelope,
    WebhookEnvelope,
    WebhookList,
    WebhookOut,
    WebhookUpdate,
    WebhookUpdatedEnvelope,
    WebhookWithKey,
    WebhookWithSecret,
)

router = APIRouter(prefix="/api/webhooks", tags=["Webhooks"], route_class=ApiRoute)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("", status_code=201, response_model=WebhookCreatedEnvelope)
@requires(Scope.WEBHOOKS_MANAGE)
async def create_webhook(
    body: WebhookCreate,
    request: Request,
    response: Response,
    session: SessionDep,
) -> WebhookCreatedEnvelope:
    """Register an endpoint that receives events of this environment (sandbox keys: sandbox events).

    The response holds the signing `secret` (`whsec_...`), **shown only this once**: keep it to
    verify deliveries (Standard Webhooks; e.g. the `standardwebhooks` library). The URL must be
    http(s) (https in production) on a public address; private, loopback and link-local
    addresses are refused with 422 `invalid_webhook_url`. An organization may have at most 20
    endpoints, production and sandbox together (422 `too_many_webhook_endpoints`).

    `format: "biginterview"` sends Big Interview's envelope with the environment's verification
    key in `Authorization`; the first such endpoint of an environment makes that key and returns
    it in `verification_key`, **shown only this once** (rotate it with
    `POST /api/webhooks/verification-key/rotate`).

    ```http
    POST /api/webhooks HTTP/1.1
    Host: xyz.greenroom.localhost
    Authorization: 935d85189822bf96c28c4fa79d3d8f31
    Content-Type: application/json

    {"url": "https://xyz.example.com/greenroom/webhooks", "events": ["user.created"]}
    ```
    """
    principal = principal_of(request)
    created = await service.create_endpoint(
        session,
        principal.tenant,
        settings=_settings(request),
        url=body.url,
        events=body.events,
        description=body.description,
        enabled=body.enabled,
        format=body.format,
    )
    response.headers["Location"] = f"/api/webhooks/{created.endpoint.id}"
    out = WebhookOut.of(created.endpoint).model_dump()
    return WebhookCreatedEnvelope(
        webhook=WebhookWithSecret(
            **out, secret=created.secret, verification_key=created.verification_key
        )
    )


@router.post("/verification-key/rotate", response_model=VerificationKeyOut)
@requires(Scope.WEBHOOKS_MANAGE)
async def rotate_webhook_verification_key(
    request: Request, session: SessionDep
) -> VerificationKeyOut:
    """A new verification key for this org and environment (made if there was none), **shown
    only this once**. Deliveries to endpoints in the Big Interview format carry it in
    `Authorization`, from now on (retries of earlier events included): deploy it to your
    receivers right after rotating."""
    principal = principal_of(request)
    key = await service.rotate_verification_key(
        session, principal.tenant, settings=_settings(request)
    )
    return VerificationKeyOut(verification_key=key)


@router.get("", response_model=WebhookList)
@requires(Scope.WEBHOOKS_MANAGE)
async def list_webhooks(session: SessionDep, request: Request, page: PageDep) -> WebhookList:
    """The endpoints of this environment, oldest first (cursor pagination)."""
    principal = principal_of(request)
    rows, cursor = await service.list_endpoints(
        session, principal.tenant, limit=page.limit, cursor=page.cursor
    )
    return WebhookList(webhooks=[WebhookOut.of(e) for e in rows], next_cursor=cursor)


@router.get("/{webhook_id}", response_model=WebhookEnvelope)
@requires(Scope.WEBHOOKS_MANAGE)
async def get_webhook(webhook_id: str, session: SessionDep, request: Request) -> WebhookEnvelope:
    """One endpoint. `enabled: false` with `disabled_reason: "failing"` means we stopped sending
    after its deliveries failed for 24 hours; fix the receiver, then update it with
    `{"enabled": true}`."""
    principal = principal_of(request)
    endpoint = await service.get_endpoint(session, principal.tenant, webhook_id)
    return WebhookEnvelope(webhook=WebhookOut.of(endpoint))


@router.post("/{webhook_id}", response_model=WebhookUpdatedEnvelope)
@requires(Scope.WEBHOOKS_MANAGE)
async def update_webhook(
    webhook_id: str,
    body: WebhookUpdate,
    request: Request,
    session: SessionDep,
) -> WebhookUpdatedEnvelope:
    """Change `url`, `events`, `description`, `enabled` or `format`; fields not sent stay as they
    are. (POST, in the style of `POST /api/users/{partner_id}`.) Enabling an endpoint that was
    disabled for failing clears that state; queued deliveries then resume. Switching the
    environment's first endpoint to `biginterview` makes its verification key, returned in
    `verification_key` this once."""
    principal = principal_of(request)
    changes: dict[str, Any] = {}
    for field in body.model_fields_set:
        value = getattr(body, field)
        if value is None and field in ("url", "enabled", "format"):
            raise ValidationFailed(errors=[{"field": field, "message": "may not be null"}])
        changes[field] = value
    updated = await service.update_endpoint(
        session, principal.tenant, webhook_id, settings=_settings(request), **changes
    )
    out = WebhookOut.of(updated.endpoint).model_dump()
    return WebhookUpdatedEnvelope(
        webhook=WebhookWithKey(**out, verification_key=updated.verification_key)
    )


@router.delete("/{webhook_id}", status_code=204)
@requires(Scope.WEBHOOKS_MANAGE)
async def delete_webhook(webhook_id: str, session: SessionDep, request: Request) -> Response:
    """Delete the endpoint and its delivery log; nothing more is sent to it."""
    principal = principal_of(request)
    await service.delete_endpoint(session, principal.tenant, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", response_model=SecretOut)
@requires(Scope.WEBHOOKS_MANAGE)
async def rotate_webhook_secret(
    webhook_id: str,
    request: Request,
    session: SessionDep,
) -> SecretOut:
    """A new signing secret, shown only this once. It takes effect at once: every delivery from
    now on (retries of earlier events included) is signed with it."""
    principal = principal_of(request)
    secret = await service.rotate_secret(
        session, principal.tenant, webhook_id, settings=_settings(request)
    )
    return SecretOut(secret=secret)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList)
@requires(Scope.WEBHOOKS_MANAGE)
async def list_deliveries(
    webhook_id: str,
    session: SessionDep,
    request: Request,
    page: PageDep,
    status: Annotated[str | None, Query(description="`pending`, `succeeded` or `failed`.")] = None,
) -> DeliveryList:
    """The delivery log of an endpoint, newest first: status, attempts, and the last attempt's
    time, response code, response time and the first 1 KB of the response body."""
    principal = principal_of(request)
    rows, cursor = await service.list_deliveries(
        session, principal.tenant, webhook_id, limit=page.limit, cursor=page.cursor, status=status
    )
    return DeliveryList(deliveries=[DeliveryOut.of(d) for d in rows], next_cursor=cursor)


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetailEnvelope)
@requires(Scope.WEBHOOKS_MANAGE)
async def get_delivery(
    webhook_id: str, delivery_id: str, session: SessionDep, request: Request
) -> DeliveryDetailEnvelope:
    """One delivery of the log, with `attempt_log`: every attempt's time, response code,
    response time, first 1 KB of the response body, and error."""
    principal = principal_of(request)
    delivery, attempts = await service.list_attempts(
        session, principal.tenant, webhook_id, delivery_id
    )
    out = DeliveryOut.of(delivery).model_dump()
    return DeliveryDetailEnvelope(
        delivery=DeliveryDetailOut(**out, attempt_log=[AttemptOut.of(a) for a in attempts])
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    response_model=DeliveryEnvelope,
)
@requires(Scope.WEBHOOKS_MANAGE)
async def resend_delivery(
    webhook_id: str, delivery_id: str, session: SessionDep, request: Request
) -> DeliveryEnvelope:
    """Send the delivery's event again, now, as a new delivery with the same `webhook-id` (so a
    receiver that already processed it can tell). 409 `webhook_disabled` if the endpoint is
    disabled."""
    principal = principal_of(request)
    delivery = await service.resend(session, principal.tenant, webhook_id, delivery_id)
    return DeliveryEnvelope(delivery=DeliveryOut.of(delivery))
