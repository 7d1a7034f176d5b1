"""Domain events, published inside the transaction of the change that caused them.

A feature that must react to changes (webhooks' outbox, for one) registers a subscriber with
`subscribe`; services call `publish` with the request's session, so whatever a subscriber writes
commits or rolls back together with the change itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from greenroom.core.direct import Executor
from greenroom.core.tenant import Tenant


class Subscriber(Protocol):
    def __call__(
        self,
        on: Executor,
        tenant: Tenant,
        event_type: str,
        data: Mapping[str, Any],
        /,
        *,
        user_id: uuid.UUID | None,
    ) -> Awaitable[None]: ...


_subscribers: list[Subscriber] = []

EVENT_TYPES = (
    "user.created",
    "user.updated",
    "user.deleted",
    "user.exported",
    "progress.updated",
    "sso.redeemed",
    "interview.created",
    "interview.updated",
    "interview.deleted",
)


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


async def publish(
    on: Executor,
    tenant: Tenant,
    event_type: str,
    data: Mapping[str, Any],
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    """`data` is the resource's public shape (docs/partner-api.md, Resources), e.g.
    {"user": {...}}. `on` is the change's transaction: an ORM session, or a direct one
    (`core.direct`). `user_id`, when the publisher has it at hand, is the id (primary key) of the
    users row the event is about, in this tenant: subscribers then find the row by it rather
    than by the partner_id of `data`."""
    assert event_type in EVENT_TYPES, event_type
    for subscriber in _subscribers:
        await subscriber(on, tenant, event_type, data, user_id=user_id)
