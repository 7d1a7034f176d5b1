"""All SQL of the webhooks feature. Every look-up of tenant data takes the org and environment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement

from greenroom.core.db import id_prefix, ids_after, table_of
from greenroom.core.direct import (
    Executor,
    Statement,
    execute_together,
)
from greenroom.jobs.leases import lease
from greenroom.tenancy.context import Tenant
from greenroom.tenancy.models import Organization
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookVerificationKey,
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


# An endpoint's `events`: the event types it wants, or this one for every event.
ALL_EVENTS = "*"


class wants_event(FunctionElement[bool]):
    """SQL for "the endpoint's `events` (a JSON list) holds `ALL_EVENTS` or this event type"."""

    type = Boolean()
    name = "wants_event"
    inherit_cache = True

    def __init__(self, events: ColumnElement[Any], event_type: ColumnElement[str]) -> None:
        super().__init__(events, literal(ALL_EVENTS), event_type)


@compiles(wants_event, "sqlite")
def _wants_event_sqlite(element: wants_event, compiler: SQLCompiler, **kw: Any) -> str:
    events, every, event_type = (compiler.process(clause, **kw) for clause in element.clauses)
    # The parts are the compiler's: a column's name and two bind parameters.
    return f"EXISTS (SELECT 1 FROM json_each({events}) WHERE value IN ({every}, {event_type}))"  # noqa: S608


@compiles(wants_event, "postgresql")
def _wants_event_postgresql(element: wants_event, compiler: SQLCompiler, **kw: Any) -> str:
    events, every, event_type = (compiler.process(clause, **kw) for clause in element.clauses)
    wanted = f"ARRAY[CAST({every} AS TEXT), CAST({event_type} AS TEXT)]"
    return f"(CAST({events} AS JSONB) ?| {wanted})"


async def insert_event(on: Executor, message: dict[str, Any], *, ordering_key: str | None) -> None:
    """Write the outbox message (values by column name) and its deliveries, one per enabled
    endpoint of the tenant that wants its event type (with an `ordering_key`, the event's user:
    each at the tail of its endpoint's queue for that key), or nothing when no endpoint wants it.

    Two INSERT ... SELECT from the endpoints, so that which endpoints those are is decided by the
    database in the statements that write the rows: nothing is read first, and on PostgreSQL both
    are parts of one statement (`execute_together`; in a direct transaction, with its other
    queued inserts), which sees the endpoints as one: a delivery is never written for a message
    that is not, whatever happens to the endpoints meanwhile. The endpoints
    are kept from deletion until the transaction ends (on PostgreSQL; SQLite's writers take turns
    anyway): a delivery refers to its endpoint."""
    values = {
        "message_id": message["id"],
        "org_id": message["org_id"],
        "environment": message["environment"],
        "event_type": message["event_type"],
        "created_at": message["created_at"],
        "ordering_key": ordering_key,
        "id_prefix": id_prefix(),
    }
    queued = _INSERT_DELIVERIES if ordering_key is None else _INSERT_QUEUED_DELIVERIES
    await execute_together(on, [(_INSERT_MESSAGE, message), (queued, values)])


_endpoints = table_of(WebhookEndpoint)
_messages = table_of(WebhookMessage)
_deliveries = table_of(WebhookDelivery)


def _param(table: Table, column: str) -> BindParameter[Any]:
    return bindparam(column, type_=table.c[column].type)


# The tenant's enabled endpoints that want the event.
_WANTING = and_(
    _endpoints.c.org_id == _param(_messages, "org_id"),
    _endpoints.c.environment == _param(_messages, "environment"),
    _endpoints.c.enabled.is_(True),
    wants_event(_endpoints.c.events, _param(_messages, "event_type")),
)
_MESSAGE_COLUMNS = ("id", "org_id", "environment", "event_type", "body", "created_at")
_INSERT_MESSAGE = Statement(
    insert(_messages).from_select(
        _MESSAGE_COLUMNS,
        select(*(_param(_messages, column) for column in _MESSAGE_COLUMNS)).where(
            exists().where(_WANTING)
        ),
        include_defaults=False,
    )
)
# A delivery's place in its user's queue: one after the queue's last pending delivery (the queue
# is empty, or its pending deliveries are all later ones, once the earlier have succeeded or
# failed).
_queued = _deliveries.alias("queued")
_QUEUE_TAIL = select(func.coalesce(func.max(_queued.c.ordering_seq), 0) + 1).where(
    _queued.c.endpoint_id == _endpoints.c.id,
    _queued.c.ordering_key == bindparam("ordering_key"),
    _queued.c.status == "pending",
)


def _insert_deliveries(ordering_seq: ColumnElement[Any]) -> Statement:
    columns = {
        "id": ids_after(bindparam("id_prefix", type_=String())),
        "org_id": _endpoints.c.org_id,
        "environment": _endpoints.c.environment,
        "endpoint_id": _endpoints.c.id,
        "message_id": _param(_deliveries, "message_id"),
        "event_type": _param(_deliveries, "event_type"),
        "status": literal("pending"),
        "attempts": literal(0),
        "created_at": _param(_deliveries, "created_at"),
        "next_attempt_at": _param(_deliveries, "created_at"),
        "ordering_key": _param(_deliveries, "ordering_key"),
        "ordering_seq": ordering_seq,
    }
    return Statement(
        insert(_deliveries).from_select(
            list(columns),
            select(*columns.values()).where(_WANTING).with_for_update(read=True, key_share=True),
            include_defaults=False,
        )
    )


# Events about no user have no order (no key, no place); the others queue per user.
_INSERT_DELIVERIES = _insert_deliveries(null())
_INSERT_QUEUED_DELIVERIES = _insert_deliveries(_QUEUE_TAIL.scalar_subquery())


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


@dataclass(frozen=True, slots=True)
class Busy:
    """An enabled endpoint with due deliveries, and how many of its deliveries are in flight."""

    endpoint_id: uuid.UUID
    org_id: uuid.UUID
    in_flight: int


def _unleased(now: datetime, deliveries: Any = WebhookDelivery) -> ColumnElement[bool]:
    return or_(deliveries.locked_until.is_(None), deliveries.locked_until < now)


def _waits_behind(now: datetime | None = None) -> ColumnElement[bool]:
    """The delivery has an earlier pending delivery in its (endpoint, ordering_key) queue (with
    `now`: one that is not in flight right now). A delivery without a key is in no queue."""
    earlier = aliased(WebhookDelivery, name="earlier")
    condition = exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.ordering_key == WebhookDelivery.ordering_key,
        earlier.status == "pending",
        or_(
            earlier.ordering_seq < WebhookDelivery.ordering_seq,
            and_(
                earlier.ordering_seq == WebhookDelivery.ordering_seq,
                earlier.id < WebhookDelivery.id,
            ),
        ),
    )
    if now is not None:
        condition = condition.where(_unleased(now, earlier))
    return condition


def _claimable(now: datetime) -> list[ColumnElement[bool]]:
    """Due, not held by a worker, and the head of its queue (in order per user)."""
    return [
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now,
        _unleased(now),
        ~_waits_behind(),
    ]


async def endpoints_with_due_work(
    session: AsyncSession,
    *,
    now: datetime,
    org_ids: Sequence[uuid.UUID] | None = None,
    lock: bool = True,
) -> list[Busy]:
    """Every enabled endpoint with a due delivery that nobody holds, with its sends in flight
    (leased rows) across all workers. With `lock`, on PostgreSQL the endpoints are locked
    (`FOR NO KEY UPDATE SKIP LOCKED`) until the caller's transaction ends, so that two workers
    never count one endpoint's sends at the same time (the per-endpoint limit holds exactly), and
    an endpoint another worker is claiming for is passed over. The lock does not block the
    outbox's inserts (their foreign-key check takes `FOR KEY SHARE`)."""
    in_flight = (
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == WebhookEndpoint.id)
        .where(WebhookDelivery.locked_until >= now)
        .scalar_subquery()
    )
    due = exists().where(WebhookDelivery.endpoint_id == WebhookEndpoint.id, *_claimable(now))
    busy = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True), due)
    if org_ids is not None:
        busy = busy.where(WebhookEndpoint.org_id.in_(org_ids))
    if lock:
        # Locked first, counted after, in a statement of its own: a count in the locking
        # statement reads the database as it was when that statement began, so a worker whose
        # claim committed just before the lock was taken had its leases missed, and the limit
        # was exceeded (seen once in CI: 3 + 3 sends for a limit of 3).
        busy = busy.with_for_update(of=WebhookEndpoint, skip_locked=True, key_share=True)
    ids = list((await session.execute(busy)).scalars())
    if not ids:
        return []
    counted = select(WebhookEndpoint.id, WebhookEndpoint.org_id, in_flight).where(
        WebhookEndpoint.id.in_(ids)
    )
    rows = (await session.execute(counted)).all()
    return [Busy(row[0], row[1], int(row[2])) for row in rows]


async def claim_for_endpoint(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    *,
    now: datetime,
    lease_until: datetime,
    token: uuid.UUID,
    limit: int,
) -> list[uuid.UUID]:
    """Lease up to `limit` of the endpoint's due deliveries, oldest due first (the jobs module's
    lease: `FOR UPDATE SKIP LOCKED` on PostgreSQL). Only the head of each user's queue is
    claimable: a delivery waits while an earlier one of its queue is pending (in flight, or
    waiting for a retry), so one user's events reach the endpoint in the order they were
    queued. Claims for one endpoint never run at once (`endpoints_with_due_work` locks it), so
    two workers cannot take two deliveries of one queue."""
    candidates = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, *_claimable(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at)
        .limit(limit)
    )
    statement = lease(
        WebhookDelivery,
        WebhookDelivery.id,
        candidates,
        {"locked_until": lease_until, "lock_token": token},
    ).returning(WebhookDelivery.id)
    return list((await session.execute(statement)).scalars().all())


async def held_back(
    session: AsyncSession, *, now: datetime, org_ids: Sequence[uuid.UUID] | None = None
) -> bool:
    """Whether a due delivery of an enabled endpoint waits only for sends in flight: its
    endpoint's (the per-endpoint limit), or the earlier deliveries of its queue (each in
    flight). One waiting for an earlier delivery's retry later on does not count."""
    query = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookEndpoint.enabled.is_(True),
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            _unleased(now),
            ~_waits_behind(now),
        )
        .limit(1)
    )
    if org_ids is not None:
        query = query.where(WebhookDelivery.org_id.in_(org_ids))
    return (await session.execute(query)).first() is not None


async def next_in_queue(session: AsyncSession, endpoint_id: uuid.UUID, key: str) -> int:
    """The place after the last pending delivery of the (endpoint, key) queue."""
    last = await session.scalar(
        select(func.max(WebhookDelivery.ordering_seq)).where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.ordering_key == key,
            WebhookDelivery.status == "pending",
        )
    )
    return int(last or 0) + 1


async def lock_org(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Lock the org's row until the transaction ends (PostgreSQL; SQLite's writers take turns):
    changes that must see each other's result (the endpoint cap, making the verification key)
    run one after the other."""
    await session.execute(
        select(Organization.id).where(Organization.id == org_id).with_for_update(key_share=True)
    )


async def get_verification_key(
    session: AsyncSession, tenant: Tenant
) -> WebhookVerificationKey | None:
    return await session.get(
        WebhookVerificationKey, (tenant.org_id, tenant.environment.value), populate_existing=True
    )


async def verification_keys(
    session: AsyncSession, owners: Sequence[tuple[uuid.UUID, str]]
) -> list[WebhookVerificationKey]:
    """The keys of these (org, environment) pairs that have one."""
    if not owners:
        return []
    orgs = sorted({org_id for org_id, _ in owners})
    rows = await session.execute(
        select(WebhookVerificationKey).where(WebhookVerificationKey.org_id.in_(orgs))
    )
    wanted = set(owners)
    return [row for row in rows.scalars() if (row.org_id, row.environment) in wanted]


async def purge_finished(
    session: AsyncSession,
    *,
    before: datetime,
    limit: int,
    org_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Delete up to `limit` finished deliveries (with their attempts) queued before `before`,
    then up to `limit` messages left without deliveries; how many deliveries went. Call again
    (in a new transaction) until it returns less than `limit`. Pending deliveries are kept
    whatever their age."""
    finished = [WebhookDelivery.status != "pending", WebhookDelivery.created_at < before]
    orphaned = [
        WebhookMessage.created_at < before,
        ~exists().where(WebhookDelivery.message_id == WebhookMessage.id),
    ]
    if org_ids is not None:
        finished.append(WebhookDelivery.org_id.in_(org_ids))
        orphaned.append(WebhookMessage.org_id.in_(org_ids))
    doomed = list(
        (await session.execute(select(WebhookDelivery.id).where(*finished).limit(limit)))
        .scalars()
        .all()
    )
    if doomed:
        await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(doomed)))
        await session.execute(
            delete(WebhookDelivery)
            .where(WebhookDelivery.id.in_(doomed))
            .execution_options(synchronize_session=False)
        )
    messages = select(WebhookMessage.id).where(*orphaned).limit(limit)
    await session.execute(
        delete(WebhookMessage)
        .where(WebhookMessage.id.in_(messages))
        .execution_options(synchronize_session=False)
    )
    return len(doomed)


async def count_org_endpoints(session: AsyncSession, org_id: uuid.UUID) -> int:
    """Endpoints of the org, both environments, after locking the org's row (so that
    concurrent creates count one after the other and the cap holds exactly)."""
    await lock_org(session, org_id)
    count = await session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
    )
    return int(count or 0)


# The one event about a user that outlives them in the delivery log (docs/privacy.md).
KEPT_AFTER_ERASURE = "user.deleted"
_MESSAGES_PER_DELETE = 500


async def forget_user_history(
    session: AsyncSession,
    org_id: uuid.UUID,
    environment: str,
    key: str,
    *,
    endpoint_id: uuid.UUID | None = None,
    up_to: datetime | None = None,
) -> int:
    """Delete the finished deliveries of one user's queue (`key`, "user:<partner_id>") in the
    org's environment, with their attempts and the messages left without deliveries: an erased user's
    events, once sent or given up. Pending deliveries stay (they go out in order, then the
    `user.deleted` delivery's end clears them), and so do `user.deleted` deliveries. With
    `endpoint_id`, that endpoint's queue only; with `up_to`, deliveries queued until then.
    Returns how many deliveries went."""
    endpoints = select(WebhookEndpoint.id).where(
        WebhookEndpoint.org_id == org_id,
        WebhookEndpoint.environment == environment,
    )
    history = [
        WebhookDelivery.endpoint_id.in_(
            endpoints.scalar_subquery() if endpoint_id is None else [endpoint_id]
        ),
        WebhookDelivery.ordering_key == key,
        WebhookDelivery.status != "pending",
        WebhookDelivery.event_type != KEPT_AFTER_ERASURE,
    ]
    if up_to is not None:
        history.append(WebhookDelivery.created_at <= up_to)
    messages = list(
        (await session.execute(select(WebhookDelivery.message_id).where(*history).distinct()))
        .scalars()
        .all()
    )
    if not messages:
        return 0
    doomed = select(WebhookDelivery.id).where(*history).scalar_subquery()
    await session.execute(
        delete(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(doomed))
        .execution_options(synchronize_session=False)
    )
    gone = await session.execute(
        delete(WebhookDelivery).where(*history).execution_options(synchronize_session=False)
    )
    for start in range(0, len(messages), _MESSAGES_PER_DELETE):
        await session.execute(
            delete(WebhookMessage)
            .where(
                WebhookMessage.id.in_(messages[start : start + _MESSAGES_PER_DELETE]),
                ~exists().where(WebhookDelivery.message_id == WebhookMessage.id),
            )
            .execution_options(synchronize_session=False)
        )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
