"""The webhook objects of the Partner API, as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from greenroom.core.responses import Timestamp
from greenroom.webhooks import service
from greenroom.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

EXAMPLE_URL = "https://xyz.example.com/greenroom/webhooks"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": EXAMPLE_URL,
                    "events": ["user.created", "progress.updated"],
                    "description": "XYZ Corporation LMS sync",
                }
            ]
        },
    )
    url: str = Field(max_length=2048, description="http(s) URL on a public address.")
    events: list[str] | None = Field(
        default=None,
        description='Event types to receive; omitted, null or ["*"] means all of them.',
    )
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": True}]})
    url: str | None = Field(default=None, max_length=2048)
    events: list[str] | None = None
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


EXAMPLE_WEBHOOK: dict[str, JsonValue] = {
    "id": "0b8f6c3e-2d55-4a4e-9a43-1f8a3c2e9d10",
    "url": "https://lms.xyz.example.com/hooks/greenroom",
    "description": "XYZ Corporation LMS sync",
    "events": ["user.created", "progress.updated"],
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "last_error": None,
    "environment": "production",
    "created_at": "2026-11-23T09:30:00Z",
    "updated_at": "2026-11-23T09:30:00Z",
}
EXAMPLE_DELIVERY: dict[str, JsonValue] = {
    "id": "5a7d2e1c-8b0f-4c7e-a1d2-3e4f5a6b7c8d",
    "webhook_id": EXAMPLE_WEBHOOK["id"],
    "message_id": "msg_2Kx9bQ7aTm4Vd1",
    "event_type": "user.created",
    "status": "succeeded",
    "attempts": 1,
    "created_at": "2026-11-23T09:31:00Z",
    "last_attempt_at": "2026-11-23T09:31:01Z",
    "next_attempt_at": None,
    "response_status": 204,
    "response_ms": 87,
    "response_excerpt": "",
    "error": None,
    "resend_of": None,
}
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - documentation


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_WEBHOOK]})

    id: str
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    disabled_reason: Literal["manual", "failing"] | None = Field(
        description="Why it is disabled: `manual` (by you) or `failing` (deliveries kept failing)."
    )
    disabled_at: Timestamp | None
    failing_since: Timestamp | None = Field(
        description="When the delivery that started the current run of failures was queued."
    )
    last_error: str | None
    environment: str
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        return cls(
            id=str(endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            last_error=endpoint.last_error,
            environment=endpoint.environment,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class WebhookWithSecret(WebhookOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**EXAMPLE_WEBHOOK, "secret": EXAMPLE_SECRET}]}
    )
    secret: str = Field(description="The signing secret (`whsec_...`). Shown only this once.")


class WebhookEnvelope(BaseModel):
    webhook: WebhookOut


class WebhookCreatedEnvelope(BaseModel):
    webhook: WebhookWithSecret


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]
    next_cursor: str | None


class SecretOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"secret": EXAMPLE_SECRET}]})
    secret: str = Field(description="The new signing secret, shown only this once.")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DELIVERY]})

    id: str
    webhook_id: str
    message_id: str = Field(description="The `webhook-id` header: the same on retries and resends.")
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    created_at: Timestamp
    last_attempt_at: Timestamp | None
    next_attempt_at: Timestamp | None
    response_status: int | None
    response_ms: int | None = Field(description="Response time of the last attempt.")
    response_excerpt: str | None = Field(description="The first 1 KB of the last response body.")
    error: str | None
    resend_of: str | None

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryOut:
        return cls(
            id=str(delivery.id),
            webhook_id=str(delivery.endpoint_id),
            message_id=service.message_id(delivery.message_id),
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at,
            response_status=delivery.response_status,
            response_ms=delivery.response_ms,
            response_excerpt=delivery.response_excerpt,
            error=delivery.error,
            resend_of=str(delivery.resend_of_id) if delivery.resend_of_id else None,
        )


class AttemptOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "at": "2026-11-23T09:31:01Z",
                    "succeeded": True,
                    "response_status": 204,
                    "response_ms": 87,
                    "response_excerpt": "",
                    "error": None,
                }
            ]
        }
    )
    number: int
    at: Timestamp
    succeeded: bool
    response_status: int | None
    response_ms: int | None
    response_excerpt: str | None
    error: str | None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            at=attempt.at,
            succeeded=attempt.succeeded,
            response_status=attempt.response_status,
            response_ms=attempt.response_ms,
            response_excerpt=attempt.response_excerpt,
            error=attempt.error,
        )


class DeliveryDetailOut(DeliveryOut):
    attempt_log: list[AttemptOut] = Field(description="Every attempt so far, oldest first.")


class DeliveryEnvelope(BaseModel):
    delivery: DeliveryOut


class DeliveryDetailEnvelope(BaseModel):
    delivery: DeliveryDetailOut


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    next_cursor: str | None
