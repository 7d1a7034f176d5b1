"""All SQL of the webhooks feature. Every look-up of tenant data takes the org and environment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core.direct import Executor, Statement, execute
from greenroom.tenancy.context import Tenant
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)


async def get_endpoint(
    session: AsyncSession, tenant: Tenant, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    result = await session.execute(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.org_id == tenant.org_id,
            WebhookEndpoint.environment == tenant.environment.value,
        )
    )
    return result.scalar_one_or_none()


async def list_endpoints(
    session: AsyncSession,
    tenant: Tenant,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == tenant.org_id,
        WebhookEndpoint.environment == tenant.environment.value,
    )
    if after is not None:
        created, last_id = after
        query = query.where(
            or_(
                WebhookEndpoint.created_at > created,
                and_(WebhookEndpoint.created_at == created, WebhookEndpoint.id > last_id),
            )
        )
    query = query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id).limit(limit)
    return (await session.execute(query)).scalars().all()


async def enabled_endpoints(on: Executor, tenant: Tenant) -> list[tuple[uuid.UUID, list[str]]]:
    """(id, events) of the tenant's enabled endpoints: what the outbox needs, on every event."""
    result = await execute(
        on,
        _ENABLED_ENDPOINTS,
        {"org_id": tenant.org_id, "environment": tenant.environment.value},
    )
    return [(row["id"], row["events"]) for row in result.rows]


_ENABLED_ENDPOINTS = Statement(
    select(WebhookEndpoint.id, WebhookEndpoint.events).where(
        WebhookEndpoint.org_id == bindparam("org_id"),
        WebhookEndpoint.environment == bindparam("environment"),
        WebhookEndpoint.enabled.is_(True),
    )
)


async def get_delivery(
    session: AsyncSession, tenant: Tenant, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    result = await session.execute(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.org_id == tenant.org_id,
            WebhookDelivery.environment == tenant.environment.value,
        )
    )
    return result.scalar_one_or_none()


async def list_deliveries(
    session: AsyncSession,
    tenant: Tenant,
    endpoint_id: uuid.UUID,
    *,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
    status: str | None = None,
) -> Sequence[WebhookDelivery]:
    """Newest first."""
    query = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.org_id == tenant.org_id,
        WebhookDelivery.environment == tenant.environment.value,
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        created, last_id = before
        query = query.where(
            or_(
                WebhookDelivery.created_at < created,
                and_(WebhookDelivery.created_at == created, WebhookDelivery.id < last_id),
            )
        )
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    return (await session.execute(query.limit(limit))).scalars().all()


async def list_attempts(session: AsyncSession, delivery_id: uuid.UUID) -> Sequence[WebhookAttempt]:
    """Oldest first; the caller has checked that the delivery is the tenant's."""
    result = await session.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.number)
    )
    return result.scalars().all()


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> WebhookMessage | None:
    return await session.get(WebhookMessage, message_id)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    token: uuid.UUID,
    limit: int,
    org_ids: Sequence[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Lease up to `limit` due deliveries to the caller (inside the caller's transaction).

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets concurrent workers pass over rows another one is
    claiming; the lease (`locked_until`) then keeps a claimed row away from the others while it is
    being sent, and hands it back if the worker dies. SQLite ignores `FOR UPDATE`: its writers are
    serialised by BEGIN IMMEDIATE, which gives the same guarantee.
    """
    query = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    if org_ids is not None:
        query = query.where(WebhookDelivery.org_id.in_(org_ids))
    ids = list((await session.execute(query)).scalars().all())
    if ids:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(locked_until=lease_until, lock_token=token)
            .execution_options(synchronize_session=False)
        )
    return ids


async def purge_finished(
    session: AsyncSession, *, before: datetime, org_ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Delete finished deliveries (with their attempts) queued before `before`, then messages
    left without deliveries. Pending deliveries are kept whatever their age."""
    finished = [WebhookDelivery.status != "pending", WebhookDelivery.created_at < before]
    orphaned = [
        WebhookMessage.created_at < before,
        ~exists().where(WebhookDelivery.message_id == WebhookMessage.id),
    ]
    if org_ids is not None:
        finished.append(WebhookDelivery.org_id.in_(org_ids))
        orphaned.append(WebhookMessage.org_id.in_(org_ids))
    doomed = select(WebhookDelivery.id).where(*finished)
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(doomed)))
    result = await session.execute(
        delete(WebhookDelivery).where(*finished).execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(WebhookMessage).where(*orphaned).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
