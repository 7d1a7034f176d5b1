"""API keys: made, looked up, and (later) rolled and revoked. The full key exists only in the
response to its creation."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.auth.scopes import ALL_SCOPES, Scope
from greenroom.core import clock
from greenroom.core.errors import ValidationFailed
from greenroom.core.security import candidate_digests, constant_time_equals, hmac_digest
from greenroom.core.settings import ServerSecret
from greenroom.keys import repository
from greenroom.keys.models import ApiKey
from greenroom.tenancy.hosts import Environment

KEY_RE = re.compile(r"^[0-9a-f]{32}$")
ROTATION_RECOMMENDED_AFTER = timedelta(days=90)


def generate_key() -> str:
    """32 lowercase hex characters, all random (128 bits), like the seeds' example key."""
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full key: shown once, never stored


async def create_key(
    session: AsyncSession,
    *,
    org_id: object,
    environment: Environment,
    name: str,
    scopes: frozenset[Scope] = ALL_SCOPES,
    created_by: str,
    server_secret: ServerSecret,
    expires_at: datetime | None = None,
    created_by_admin_id: object | None = None,
) -> CreatedKey:
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
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key, secret)


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


def is_usable(key: ApiKey, now: datetime) -> bool:
    if key.revoked_at is not None and key.revoked_at <= now:
        return False
    return key.expires_at is None or key.expires_at > now
