"""The webhook objects of the Partner API, as JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

from greenroom.core.events import EVENT_TYPES
from greenroom.core.responses import Timestamp
from greenroom.webhooks import service
from greenroom.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

NEXT_CURSOR = "Pass as `cursor` for the next page; null on the last page."
FormatName = Literal["standard", "biginterview"]
# An event type, or "*" for all. Listed in the document (so generators and fuzzers know them);
# checked by the service, which names the valid ones in its 422.
EventName = Annotated[str, Field(json_schema_extra={"enum": [*EVENT_TYPES, "*"]})]
FORMAT = (
    "What deliveries look like: `standard` (Standard Webhooks: `{type, timestamp, data}`) or "
    "`biginterview` (Big Interview's `{webhook: {id, event_name, partner_id, api_id, api_type, "
    "api_object}}`, with the verification key in `Authorization`)."
)
EXAMPLE_URL = "https://xyz.example.com/greenroom/webhooks"


class WebhookCreate(BaseModel):
    """A new endpoint that receives this environment's events."""

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
    events: list[EventName] | None = Field(
        default=None,
        description='Event types to receive; omitted, null or ["*"] means all of them.',
    )
    description: str | None = Field(
        default=None, max_length=500, description="Your note about the endpoint."
    )
    enabled: bool = Field(default=True, description="Whether events are sent to it.")
    format: FormatName = Field(default="standard", description=FORMAT)


class WebhookUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": True}]})
    # Null is refused for these (422 "may not be null"): the document does not offer it.
    url: Annotated[str, Field(max_length=2048)] | SkipJsonSchema[None] = Field(
        default=None, description="A new URL (http(s), public address)."
    )
    events: list[EventName] | None = Field(
        default=None, description='New event types; `["*"]` for all of them.'
    )
    description: str | None = Field(
        default=None, max_length=500, description="A new note; null clears it."
    )
    enabled: bool | SkipJsonSchema[None] = Field(
        default=None, description="Stop (false) or resume (true) sending events."
    )
    format: FormatName | SkipJsonSchema[None] = Field(
        default=None,
        description=FORMAT + " It applies to every delivery from then on, retries included.",
    )


EXAMPLE_WEBHOOK: dict[str, JsonValue] = {
    "id": "0b8f6c3e-2d55-4a4e-9a43-1f8a3c2e9d10",
    "url": "https://lms.xyz.example.com/hooks/greenroom",
    "description": "XYZ Corporation LMS sync",
    "events": ["user.created", "progress.updated"],
    "enabled": True,
    "format": "standard",
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "last_error": None,
    "environment": "production",
    "created_at": "2026-11-23T09:30:00.000Z",
    "updated_at": "2026-11-23T09:30:00.000Z",
}
EXAMPLE_DELIVERY: dict[str, JsonValue] = {
    "id": "5a7d2e1c-8b0f-4c7e-a1d2-3e4f5a6b7c8d",
    "webhook_id": EXAMPLE_WEBHOOK["id"],
    "message_id": "msg_2Kx9bQ7aTm4Vd1",
    "event_type": "user.created",
    "status": "succeeded",
    "attempts": 1,
    "created_at": "2026-11-23T09:31:00.000Z",
    "last_attempt_at": "2026-11-23T09:31:01.000Z",
    "next_attempt_at": None,
    "response_status": 204,
    "response_ms": 87,
    "response_excerpt": "",
    "error": None,
    "resend_of": None,
}
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - documentation
EXAMPLE_VERIFICATION_KEY = "935d85189822bf96c28c4fa79d3d8f31"  # Big Interview's docs' example
VERIFICATION_KEY = (
    "The verification key of this org and environment, sent in `Authorization` with every "
    "delivery in the Big Interview format. Only in the answer that made it (the environment's "
    "first endpoint in that format): null otherwise. Lost? Rotate it."
)


class WebhookOut(BaseModel):
    """A webhook endpoint."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_WEBHOOK]})

    id: str = Field(description="The endpoint's id.")
    url: str = Field(description="Where events are POSTed.")
    description: str | None = Field(description="Your note about it.")
    events: list[str] = Field(description='Event types it receives (`["*"]`: all).')
    enabled: bool = Field(description="Whether events are sent to it.")
    format: FormatName = Field(description=FORMAT)
    disabled_reason: Literal["manual", "failing"] | None = Field(
        description="Why it is disabled: `manual` (by you) or `failing` (deliveries kept failing)."
    )
    disabled_at: Timestamp | None = Field(description="When it was disabled, if it is.")
    failing_since: Timestamp | None = Field(
        description="When the delivery that started the current run of failures was queued."
    )
    last_error: str | None = Field(description="The last failed attempt's error, if any.")
    environment: str = Field(description="`production` or `sandbox`: whose events it gets.")
    created_at: Timestamp = Field(description="When it was registered.")
    updated_at: Timestamp = Field(description="When it last changed.")

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        return cls(
            id=str(endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            format="biginterview" if endpoint.format == "biginterview" else "standard",
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            last_error=endpoint.last_error,
            environment=endpoint.environment,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class WebhookWithKey(WebhookOut):
    """An endpoint just changed, with the verification key if the change made it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **EXAMPLE_WEBHOOK,
                    "format": "biginterview",
                    "verification_key": EXAMPLE_VERIFICATION_KEY,
                }
            ]
        }
    )
    verification_key: str | None = Field(description=VERIFICATION_KEY)


class WebhookWithSecret(WebhookWithKey):
    """A new endpoint with its signing secret, shown this once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**EXAMPLE_WEBHOOK, "verification_key": None, "secret": EXAMPLE_SECRET}]
        }
    )
    secret: str = Field(description="The signing secret (`whsec_...`). Shown only this once.")


class WebhookEnvelope(BaseModel):
    """One webhook endpoint."""

    webhook: WebhookOut = Field(description="The endpoint.")


class WebhookUpdatedEnvelope(BaseModel):
    """The endpoint as changed."""

    webhook: WebhookWithKey = Field(description="The endpoint, with `verification_key`.")


class WebhookCreatedEnvelope(BaseModel):
    """The endpoint just registered."""

    webhook: WebhookWithSecret = Field(description="The endpoint, with `secret`.")


class WebhookList(BaseModel):
    """A page of endpoints, oldest first."""

    webhooks: list[WebhookOut] = Field(description="The endpoints of this page.")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class SecretOut(BaseModel):
    """A new signing secret."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"secret": EXAMPLE_SECRET}]})
    secret: str = Field(description="The new signing secret, shown only this once.")


class VerificationKeyOut(BaseModel):
    """A new verification key."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"verification_key": EXAMPLE_VERIFICATION_KEY}]}
    )
    verification_key: str = Field(
        description="The new verification key of this org and environment, shown only this "
        "once: every delivery in the Big Interview format carries it in `Authorization` from "
        "now on (retries of earlier events included)."
    )


class DeliveryOut(BaseModel):
    """One delivery of an event to an endpoint, with its last attempt."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DELIVERY]})

    id: str = Field(description="The delivery's id.")
    webhook_id: str = Field(description="The endpoint's id.")
    message_id: str = Field(description="The `webhook-id` header: the same on retries and resends.")
    event_type: str = Field(description="The event's type, e.g. `user.created`.")
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="`pending` (to be tried, or tried again), `succeeded` or `failed` (for good)."
    )
    attempts: int = Field(description="Attempts made so far.")
    created_at: Timestamp = Field(description="When the delivery was queued.")
    last_attempt_at: Timestamp | None = Field(description="When it was last tried.")
    next_attempt_at: Timestamp | None = Field(description="When it is tried next, if it is.")
    response_status: int | None = Field(description="The last attempt's HTTP status.")
    response_ms: int | None = Field(description="Response time of the last attempt.")
    response_excerpt: str | None = Field(description="The first 1 KB of the last response body.")
    error: str | None = Field(description="Why the last attempt failed, if it did.")
    resend_of: str | None = Field(description="The delivery this one resends, if any.")

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
    """One attempt of a delivery."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "at": "2026-11-23T09:31:01.000Z",
                    "succeeded": True,
                    "response_status": 204,
                    "response_ms": 87,
                    "response_excerpt": "",
                    "error": None,
                }
            ]
        }
    )
    number: int = Field(description="The attempt's number, from 1.")
    at: Timestamp = Field(description="When it was made.")
    succeeded: bool = Field(description="Whether the endpoint answered 2xx in time.")
    response_status: int | None = Field(description="The HTTP status answered, if any.")
    response_ms: int | None = Field(description="The response time in milliseconds.")
    response_excerpt: str | None = Field(description="The first 1 KB of the response body.")
    error: str | None = Field(description="Why it failed, if it did.")

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
    """A delivery with every attempt."""

    attempt_log: list[AttemptOut] = Field(description="Every attempt so far, oldest first.")


class DeliveryEnvelope(BaseModel):
    """One delivery."""

    delivery: DeliveryOut = Field(description="The delivery.")


class DeliveryDetailEnvelope(BaseModel):
    """One delivery with its attempts."""

    delivery: DeliveryDetailOut = Field(description="The delivery, with `attempt_log`.")


class DeliveryList(BaseModel):
    """A page of an endpoint's deliveries, newest first."""

    deliveries: list[DeliveryOut] = Field(description="The deliveries of this page.")
    next_cursor: str | None = Field(description=NEXT_CURSOR)
