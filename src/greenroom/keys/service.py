"""API keys: created, listed, rolled and revoked. The full key exists only in the response to
its creation (or roll); the database holds its HMAC and last 4 characters."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from greenroom.audit import service as audit
from greenroom.audit.service import AuditEventType
from greenroom.core import clock
from greenroom.core.errors import Conflict, NotFound, ValidationFailed
from greenroom.core.security import candidate_digests, constant_time_equals, hmac_digest
from greenroom.core.settings import ServerSecret
from greenroom.keys import repository
from greenroom.keys.cache import forget_everywhere
from greenroom.keys.models import ApiKey
from greenroom.keys.models import is_usable as is_usable  # the rule, for the service's callers
from greenroom.keys.scopes import ALL_SCOPES, Scope
from greenroom.tenancy.hosts import Environment

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
ROTATION_RECOMMENDED_AFTER = timedelta(days=90)
DEFAULT_ROLL_GRACE = timedelta(hours=24)
MAX_ROLL_GRACE = timedelta(days=7)
# last_used_at is written at most this often per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyNotFound(NotFound):
    code = "key_not_found"
    default_detail = "No such API key in this organization."


def generate_key() -> str:
    """32 lowercase hex characters, all random (128 bits), like the seeds' example key."""
    return secrets.token_hex(16)


def actor_for(created_by: str) -> str:
    return "cli" if created_by == "cli" else f"admin:{created_by}"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full key: shown once, never stored


def rotation_recommended(key: ApiKey, now: datetime | None = None) -> bool:
    """True for a live key older than 90 days: the admin area flags it."""
    now = now or clock.now()
    return is_usable(key, now) and now - key.created_at >= ROTATION_RECOMMENDED_AFTER


async def create_key(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    environment: Environment,
    name: str,
    scopes: frozenset[Scope] = ALL_SCOPES,
    created_by: str,
    server_secret: ServerSecret,
    expires_at: datetime | None = None,
    created_by_admin_id: uuid.UUID | None = None,
    client_address: str | None = None,
    _event: AuditEventType = AuditEventType.KEY_CREATED,
    _details: dict[str, str] | None = None,
) -> CreatedKey:
    """A new key. `created_by` is "cli" or the creating admin's email."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            "A key's name is 1 to 100 characters.",
            errors=[{"field": "name", "message": "1 to 100 characters"}],
        )
    if not scopes:
        raise ValidationFailed(
            "A key needs at least one scope.", errors=[{"field": "scopes", "message": "empty"}]
        )
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationFailed(
            "The expiry must be in the future.",
            errors=[{"field": "expires_at", "message": "in the past"}],
        )
    secret = generate_key()
    key = ApiKey(
        org_id=org_id,
        environment=environment.value,
        name=name,
        scopes=sorted(s.value for s in scopes),
        key_hash=hmac_digest(server_secret, secret),
        secret_version=server_secret.version,
        last4=secret[-4:],
        created_by=created_by,
        created_by_admin_id=created_by_admin_id,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        org_id=org_id,
        environment=environment.value,
        event=_event,
        actor=actor_for(created_by),
        admin_id=created_by_admin_id,
        key_id=key.id,
        client_address=client_address,
        details={"name": name, "last4": key.last4, **(_details or {})},
    )
    return CreatedKey(key, secret)


async def list_keys(
    session: AsyncSession, org_id: uuid.UUID, environment: Environment | None = None
) -> Sequence[ApiKey]:
    """All of an org's keys (every admin sees all of them), newest first; never the secret."""
    return await repository.list_for_org(
        session, org_id, environment.value if environment else None
    )


async def get_key(session: AsyncSession, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = await repository.get_for_org(session, org_id, key_id)
    if key is None:
        raise KeyNotFound()
    return key


def _forget_after_commit(session: AsyncSession, key_id: uuid.UUID) -> None:
    """Drop the key from this process's caches now, and again once the change is committed
    (a request in between may have cached the old row)."""
    forget_everywhere(key_id)

    def after_commit(_session: Session) -> None:
        forget_everywhere(key_id)

    event.listen(session.sync_session, "after_commit", after_commit, once=True)


async def revoke_key(
    session: AsyncSession,
    org_id: uuid.UUID,
    key_id: uuid.UUID,
    *,
    actor: str,
    admin_id: uuid.UUID | None = None,
    client_address: str | None = None,
) -> ApiKey:
    """Revoke at once (the admin area's "delete": the row stays for the audit trail)."""
    key = await repository.get_for_org(session, org_id, key_id, for_update=True)
    if key is None:
        raise KeyNotFound()
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
        await audit.record(
            session,
            org_id=org_id,
            environment=key.environment,
            event=AuditEventType.KEY_REVOKED,
            actor=actor,
            admin_id=admin_id,
            key_id=key.id,
            client_address=client_address,
            details={"name": key.name, "last4": key.last4},
        )
    _forget_after_commit(session, key.id)
    return key


async def roll_key(
    session: AsyncSession,
    org_id: uuid.UUID,
    key_id: uuid.UUID,
    *,
    server_secret: ServerSecret,
    created_by: str,
    grace: timedelta = DEFAULT_ROLL_GRACE,
    expires_at: datetime | None = None,
    created_by_admin_id: uuid.UUID | None = None,
    client_address: str | None = None,
) -> CreatedKey:
    """A new key with the old one's name, environment and scopes; the old one keeps working
    for `grace` (0 to 7 days), then fails as expired."""
    if not timedelta(0) <= grace <= MAX_ROLL_GRACE:
        raise ValidationFailed(
            "The grace period is 0 to 7 days.",
            errors=[{"field": "grace", "message": "0 to 7 days"}],
        )
    old = await repository.get_for_org(session, org_id, key_id, for_update=True)
    if old is None:
        raise KeyNotFound()
    now = clock.now()
    if not is_usable(old, now):
        raise Conflict("A revoked or expired key cannot be rolled.", code="key_not_active")
    if old.replaced_by_id is not None:
        raise Conflict("This key was already rolled; roll its replacement.", code="key_rolled")
    created = await create_key(
        session,
        org_id=org_id,
        environment=Environment(old.environment),
        name=old.name,
        scopes=frozenset(Scope(s) for s in old.scopes),
        created_by=created_by,
        server_secret=server_secret,
        expires_at=expires_at,
        created_by_admin_id=created_by_admin_id,
        client_address=client_address,
        _event=AuditEventType.KEY_ROLLED,
        _details={"replaces": str(old.id), "grace_seconds": str(int(grace.total_seconds()))},
    )
    end = now + grace
    old.expires_at = end if old.expires_at is None else min(old.expires_at, end)
    old.replaced_by_id = created.key.id
    await session.flush()
    _forget_after_commit(session, old.id)
    return created


async def find_key(
    session: AsyncSession, server_secrets: list[ServerSecret], presented: str
) -> ApiKey | None:
    """The stored key matching `presented` (any state: the caller checks org, env, expiry)."""
    digests = candidate_digests(server_secrets, presented)
    key = await repository.find_by_hashes(session, list(digests.values()))
    if key is None:
        return None
    expected = digests.get(key.secret_version)
    if expected is None or not constant_time_equals(expected, key.key_hash):
        return None
    return key


async def rehash(
    session: AsyncSession, key_id: uuid.UUID, old_version: str, key_hash: str, version: str
) -> bool:
    """Move a key's stored HMAC to a newer server secret (see docs/operations.md)."""
    return await repository.rehash(session, key_id, old_version, key_hash, version)


async def record_uses(session: AsyncSession, uses: dict[uuid.UUID, datetime]) -> None:
    """Write several keys' last use at once (the authenticator's write-behind batch)."""
    for key_id, at in uses.items():
        await record_use(session, key_id, at)


async def record_use(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> bool:
    """Write last_used_at unless it was written within the last minute (by any process)."""
    return await repository.touch(session, key_id, now, now - LAST_USED_RESOLUTION)
