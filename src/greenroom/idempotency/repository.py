"""Claiming, completing and releasing idempotency records, each in a short transaction of its own
(committed at once, so other processes see the claim while the request runs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.core import clock
from greenroom.idempotency.models import IdempotencyRecord

REPLAY_FOR = timedelta(hours=24)
# A claim older than this belongs to a request that died; another may take it over.
STALE_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Scope:
    org_id: uuid.UUID
    environment: str
    credential_hash: str
    key: str


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Literal["run", "replay", "mismatch", "busy"]
    record_id: uuid.UUID | None = None
    status: int | None = None
    headers: str | None = None
    body: bytes | None = None


def _where(scope: Scope):  # type: ignore[no-untyped-def]
    return (
        IdempotencyRecord.org_id == scope.org_id,
        IdempotencyRecord.environment == scope.environment,
        IdempotencyRecord.credential_hash == scope.credential_hash,
        IdempotencyRecord.key == scope.key,
    )


async def _claim_once(session: AsyncSession, scope: Scope, fingerprint: str) -> Claim:
    now = clock.now()
    record = (
        await session.execute(select(IdempotencyRecord).where(*_where(scope)))
    ).scalar_one_or_none()
    if record is not None and record.expires_at <= now:
        await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        record = None
    if record is None:
        new = IdempotencyRecord(
            org_id=scope.org_id,
            environment=scope.environment,
            credential_hash=scope.credential_hash,
            key=scope.key,
            fingerprint=fingerprint,
            created_at=now,
            expires_at=now + REPLAY_FOR,
        )
        session.add(new)
        await session.flush()
        return Claim("run", record_id=new.id)
    if record.fingerprint != fingerprint:
        return Claim("mismatch")
    if record.status is None:
        if record.created_at <= now - STALE_CLAIM:
            taken = await session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record.id, IdempotencyRecord.status.is_(None))
                .where(IdempotencyRecord.created_at == record.created_at)
                .values(created_at=now)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return Claim("run", record_id=record.id)
        return Claim("busy")
    return Claim(
        "replay",
        record_id=record.id,
        status=record.status,
        headers=record.headers,
        body=record.body,
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession], scope: Scope, fingerprint: str
) -> Claim:
    for _ in range(3):
        try:
            async with sessions() as session, session.begin():
                return await _claim_once(session, scope, fingerprint)
        except IntegrityError:  # another request inserted the same claim first
            continue
    return Claim("busy")


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    record_id: uuid.UUID,
    status: int,
    headers: str,
    body: bytes,
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status=status, headers=headers, body=body)
        )


async def release(sessions: async_sessionmaker[AsyncSession], record_id: uuid.UUID) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


async def purge_expired(session: AsyncSession, now: datetime, *, limit: int) -> int:
    """Delete up to `limit` records past their 24 hours (the purge's batches)."""
    batch = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.expires_at <= now)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id.in_(batch))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
