"""Bearer tokens for admins (docs/partner-api.md, Bearer tokens): issued for an admin's email and
password, refreshed with rotation, revoked by family. Only HMACs of the tokens are stored.

Outcomes that must be committed although the client gets an error (a failed log-in's audit
entry, a reused refresh token revoking its family) are returned, not raised, so that the
request's transaction still commits; the routes turn them into problem responses.
"""

from __future__ import annotations

import secrets
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from greenroom.admins import repository as admins
from greenroom.admins.passwords import verify_password
from greenroom.audit import service as audit
from greenroom.audit.service import AuditEventType
from greenroom.auth import repository
from greenroom.auth.errors import InvalidToken
from greenroom.auth.models import AuthToken
from greenroom.auth.ratelimit import LoginThrottle
from greenroom.core import clock
from greenroom.core.errors import Unauthorized
from greenroom.core.security import candidate_digests, constant_time_equals, hmac_digest
from greenroom.core.settings import ServerSecret
from greenroom.core.ttlcache import TTLCache
from greenroom.core.writebehind import WriteBehind
from greenroom.tenancy.context import Tenant

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
ACCESS, REFRESH = "access", "refresh"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_detail = "The email or password is wrong."


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@dataclass(frozen=True, slots=True)
class Failure:
    """A refused request whose side effects (audit, revocations) must still be committed."""

    error: Unauthorized


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def _find(
    session: AsyncSession, server_secrets: list[ServerSecret], presented: str
) -> AuthToken | None:
    if not presented or len(presented) > 256:
        return None
    digests = candidate_digests(server_secrets, presented)
    row = await repository.find_by_digests(session, list(digests.values()))
    if row is None:
        return None
    expected = digests.get(row.secret_version)
    if expected is None or not constant_time_equals(expected, row.token_hash):
        return None
    return row


async def _issue_pair(
    session: AsyncSession,
    *,
    tenant: Tenant,
    admin_id: uuid.UUID,
    key_id: uuid.UUID | None,
    family_id: uuid.UUID,
    secret: ServerSecret,
    now: datetime,
) -> TokenPair:
    access, refresh = _new_token(), _new_token()
    for kind, value, ttl in ((ACCESS, access, ACCESS_TTL), (REFRESH, refresh, REFRESH_TTL)):
        session.add(
            AuthToken(
                org_id=tenant.org_id,
                environment=tenant.environment.value,
                admin_id=admin_id,
                key_id=key_id,
                kind=kind,
                token_hash=hmac_digest(secret, value),
                secret_version=secret.version,
                family_id=family_id,
                created_at=now,
                expires_at=now + ttl,
            )
        )
    await session.flush()
    return TokenPair(
        access, refresh, int(ACCESS_TTL.total_seconds()), int(REFRESH_TTL.total_seconds())
    )


async def login(
    session: AsyncSession,
    reader: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    *,
    email: str,
    password: str,
    key_id: uuid.UUID,
    secret: ServerSecret,
    throttle: LoginThrottle,
    failures: WriteBehind[uuid.UUID, dict[str, Any]],
    client_address: str | None,
) -> TokenPair | Failure:
    """Tokens for an admin of the key's org; 429 (raised) once log-ins are throttled.

    As the admin area's log-in: the account is read in a `reader` session, the password checked
    in a thread, a failure's audit entry written behind (`failures`); only a success writes, in
    `session`, the request's transaction."""
    email = email.strip().lower()
    # Reserved before anything is verified, so concurrent guesses cannot pass the limit.
    attempt = await throttle.reserve(tenant.org_id, email, client_address)
    try:
        async with reader() as reading:
            admin = await admins.by_email(reading, tenant.org_id, email)
    except BaseException:
        await throttle.release(attempt)  # not evaluated (the database failed): does not count
        raise
    # Verified even without an account, so that timing does not tell which emails exist.
    ok = await verify_password(admin.password_hash if admin is not None else None, password)
    if admin is None or not ok:
        # The reservation stays: it counts as a failure.
        failures.note(
            uuid.uuid4(),
            audit.later(
                org_id=tenant.org_id,
                environment=tenant.environment.value,
                event=AuditEventType.LOGIN_FAILED,
                actor=f"admin:{email}",
                admin_id=admin.id if admin else None,
                key_id=key_id,
                client_address=client_address,
                details={"via": "api"},
            ),
        )
        return Failure(InvalidCredentials())
    await throttle.succeeded(attempt)
    now = clock.now()
    await admins.record_log_in(session, admin.id, now)
    pair = await _issue_pair(
        session,
        tenant=tenant,
        admin_id=admin.id,
        key_id=key_id,
        family_id=uuid.uuid4(),
        secret=secret,
        now=now,
    )
    for kind in (AuditEventType.LOGIN_SUCCEEDED, AuditEventType.TOKEN_ISSUED):
        await audit.record(
            session,
            org_id=tenant.org_id,
            environment=tenant.environment.value,
            event=kind,
            actor=f"admin:{admin.email}",
            admin_id=admin.id,
            key_id=key_id,
            client_address=client_address,
            details={"via": "api"},
        )
    return pair


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    _forget_family(family_id)

    def after_commit(_session: Session) -> None:
        _forget_family(family_id)

    event.listen(session.sync_session, "after_commit", after_commit, once=True)
    await repository.revoke_family(session, family_id, now)


async def _admin_email(session: AsyncSession, admin_id: uuid.UUID) -> str:
    email = await admins.email_of(session, admin_id)
    return f"admin:{email}" if email else "anonymous"


async def _audit_family(
    session: AsyncSession,
    tenant: Tenant,
    row: AuthToken,
    event: AuditEventType,
    key_id: uuid.UUID,
    client_address: str | None,
) -> None:
    """Audit something that happened to a token family (refreshed, reused, revoked)."""
    await audit.record(
        session,
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        event=event,
        actor=await _admin_email(session, row.admin_id),
        admin_id=row.admin_id,
        key_id=key_id,
        client_address=client_address,
        details={"family": str(row.family_id)},
    )


async def refresh(
    session: AsyncSession,
    tenant: Tenant,
    *,
    refresh_token: str,
    key_id: uuid.UUID,
    server_secrets: list[ServerSecret],
    client_address: str | None,
) -> TokenPair | Failure:
    """A new pair for a refresh token, which is then spent. A spent one presented again
    revokes its whole family (access tokens included)."""
    now = clock.now()
    row = await _find(session, server_secrets, refresh_token)
    if (
        row is None
        or row.kind != REFRESH
        or row.org_id != tenant.org_id
        or row.environment != tenant.environment.value
        or row.revoked_at is not None
        or row.expires_at <= now
    ):
        return Failure(InvalidToken())
    spent = await repository.spend(session, row.id, now)
    if row.used_at is not None or not spent:
        await _revoke_family(session, row.family_id, now)
        await _audit_family(
            session, tenant, row, AuditEventType.TOKEN_REUSED, key_id, client_address
        )
        return Failure(InvalidToken("This refresh token was already used; sign in again."))
    pair = await _issue_pair(
        session,
        tenant=tenant,
        admin_id=row.admin_id,
        key_id=key_id,
        family_id=row.family_id,
        secret=server_secrets[0],
        now=now,
    )
    await _audit_family(
        session, tenant, row, AuditEventType.TOKEN_REFRESHED, key_id, client_address
    )
    return pair


async def revoke(
    session: AsyncSession,
    tenant: Tenant,
    *,
    token: str,
    key_id: uuid.UUID,
    server_secrets: list[ServerSecret],
    client_address: str | None,
) -> bool:
    """Revoke the family of an access or refresh token of this org; False when unknown."""
    row = await _find(session, server_secrets, token)
    if row is None or row.org_id != tenant.org_id or row.environment != tenant.environment.value:
        return False
    if row.revoked_at is None:
        await _revoke_family(session, row.family_id, clock.now())
        await _audit_family(
            session, tenant, row, AuditEventType.TOKEN_REVOKED, key_id, client_address
        )
    return True


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """What a request needs to know about an access token and its admin (cached briefly)."""

    org_id: uuid.UUID
    environment: str
    family_id: uuid.UUID
    expires_at: datetime
    revoked: bool
    admin_id: uuid.UUID
    admin_email: str
    admin_role: str

    def valid_for(self, tenant: Tenant, now: datetime) -> bool:
        return (
            not self.revoked
            and self.expires_at > now
            and self.org_id == tenant.org_id
            and self.environment == tenant.environment.value
        )


async def lookup_access(
    session: AsyncSession, server_secrets: list[ServerSecret], token: str
) -> AccessRecord | None:
    row = await _find(session, server_secrets, token)
    if row is None or row.kind != ACCESS:
        return None
    admin = await admins.email_and_role(session, row.org_id, row.admin_id)
    if admin is None:
        return None
    admin_email, admin_role = admin
    return AccessRecord(
        org_id=row.org_id,
        environment=row.environment,
        family_id=row.family_id,
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
        admin_id=row.admin_id,
        admin_email=admin_email,
        admin_role=admin_role,
    )


_caches: weakref.WeakSet[TTLCache[str, AccessRecord | None]] = weakref.WeakSet()


def new_access_cache(ttl_seconds: float) -> TTLCache[str, AccessRecord | None]:
    """A per-process cache of access-token look-ups, dropped at once when a family is revoked
    in this process (other processes follow within `ttl_seconds`)."""
    cache: TTLCache[str, AccessRecord | None] = TTLCache(ttl_seconds)
    _caches.add(cache)
    return cache


def _forget_family(family_id: uuid.UUID) -> None:
    for cache in list(_caches):
        cache.drop_where(lambda record: record is not None and record.family_id == family_id)


async def resolve_bearer(
    session: AsyncSession, tenant: Tenant, token: str, server_secrets: list[ServerSecret]
) -> tuple[uuid.UUID, str, str]:
    """(admin id, admin email, role) for a valid access token; InvalidToken otherwise.

    The role is read from the admin's row, so a demotion applies at once (or, through the
    per-process cache, within seconds).
    """
    record = await lookup_access(session, server_secrets, token)
    if record is None or not record.valid_for(tenant, clock.now()):
        raise InvalidToken()
    return record.admin_id, record.admin_email, record.admin_role
