"""Webhook endpoints, the messages queued for them, and one delivery row per (message, endpoint).

The delivery rows are the durable outbox: they are written in the transaction of the change that
caused the event, and the worker claims them with a lease (`locked_until`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin, TimestampMixin


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_org_env", "org_id", "environment", "created_at"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    # Event types, or ["*"] for all of them (including types added later).
    events: Mapped[list[Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(default=True)
    # What the deliveries look like: "standard" (Standard Webhooks: `{"type", "timestamp",
    # "data"}`) or "biginterview" (Big Interview's `{"webhook": {...}}` envelope, with the org's
    # verification key in `Authorization`; `webhooks.formats`).
    format: Mapped[str] = mapped_column(String(16), default="standard", server_default="standard")
    # The signing secret, AES-GCM encrypted under a key derived from the server secret
    # `secret_version` (it must be recoverable to sign; it is never returned after creation).
    secret_ciphertext: Mapped[str] = mapped_column(String(255))
    secret_version: Mapped[str] = mapped_column(String(32))
    # "manual" or "failing"; None while enabled.
    disabled_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the delivery that started the current run of failures was queued; None after a success.
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)


class WebhookMessage(IdMixin, Base):
    """One event as sent: the exact body is kept so that retries and resends sign the same bytes."""

    __tablename__ = "webhook_messages"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The worker's claim, endpoint by endpoint: its due pending rows, and how many of its
        # rows are leased (in flight) right now (`repository.claim_fair`).
        Index("ix_webhook_deliveries_endpoint_due", "endpoint_id", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_leased", "endpoint_id", "locked_until"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
        # In order per user: the pending deliveries of one (endpoint, ordering_key) queue by
        # `ordering_seq` (its head is the only one claimable; `repository.claim_for_endpoint`).
        Index(
            "ix_webhook_deliveries_queue", "endpoint_id", "ordering_key", "status", "ordering_seq"
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_messages.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    # pending -> succeeded | failed (retries exhausted or endpoint gone)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=clock.now)
    # The lease of the worker sending it right now, and which claim holds it.
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    lock_token: Mapped[uuid.UUID | None] = mapped_column(default=None)
    resend_of_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # Deliveries of one endpoint with the same key go out in order ("user:<partner_id>"): one
    # waits until every earlier pending one of its queue has succeeded or failed for good.
    # `ordering_seq` is its place in that queue, taken in the transaction that queues it (one
    # more than the queue's last pending delivery): the database's order, not a server's clock.
    # None for events about no user (and deliveries queued before 0015): no order.
    ordering_key: Mapped[str | None] = mapped_column(String(128), default=None)
    ordering_seq: Mapped[int | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_ms: Mapped[int | None] = mapped_column(default=None)
    response_excerpt: Mapped[str | None] = mapped_column(String(1024), default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    succeeded_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(IdMixin, Base):
    """One try of a delivery, for the log."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=clock.now)
    succeeded: Mapped[bool] = mapped_column(default=False)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_ms: Mapped[int | None] = mapped_column(default=None)
    response_excerpt: Mapped[str | None] = mapped_column(String(1024), default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)


class WebhookVerificationKey(Base):
    """The verification key of one org and environment: sent in `Authorization` with every
    delivery to its endpoints in the Big Interview format, so that the receiver can tell the
    request came from us. AES-GCM encrypted like the signing secrets (it must be sent, so it
    cannot be a hash); shown once, when made or rotated."""

    __tablename__ = "webhook_verification_keys"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    environment: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_ciphertext: Mapped[str] = mapped_column(String(255))
    key_version: Mapped[str] = mapped_column(String(32))
    # The key's last four characters, so that an admin can tell which key is in force.
    hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
