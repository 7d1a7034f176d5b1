"""The rules about partner users. Every change to a user goes through here and publishes
`user.created`, `user.updated` or `user.deleted` inside the same transaction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import clock, events
from greenroom.core.errors import FeatureNotEnabled, NotFound, RateLimited, ValidationFailed
from greenroom.core.pagination import InvalidCursor, decode_cursor, encode_cursor
from greenroom.core.settings import ServerSecret
from greenroom.sso import service as sso
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import repository
from greenroom.users.models import User
from greenroom.users.schemas import UserOut, UserWrite
from greenroom.websessions import service as websessions

# ASCII only, written out: `\w` and `\d` would take Unicode letters and digits.
PARTNER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
RESERVED_PARTNER_IDS = frozenset({"anonymous"})
ANONYMOUS_LIFETIME = timedelta(hours=24)
REQUIRED_ON_CREATE = ("first_name", "last_name", "email")


class InvalidPartnerId(ValidationFailed):
    code = "invalid_partner_id"
    default_detail = "A partner_id is 1 to 64 ASCII letters, digits, '-' or '_'."


class UserNotFound(NotFound):
    code = "user_not_found"
    default_detail = "No user with this partner_id in this organization and environment."


@dataclass(frozen=True, slots=True)
class UserWithToken:
    user: User
    created: bool
    token: sso.IssuedToken | None


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[User]
    next_cursor: str | None


def check_partner_id(partner_id: str) -> str:
    if not isinstance(partner_id, str) or not PARTNER_ID_RE.fullmatch(partner_id):
        raise InvalidPartnerId(
            errors=[{"field": "partner_id", "message": InvalidPartnerId.default_detail}]
        )
    return partner_id


def public_user(user: User) -> dict[str, Any]:
    """The user object of docs/partner-api.md, Users, JSON-ready (also the payload of user.*
    events)."""
    return UserOut(
        partner_id=user.partner_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        metadata=user.metadata_,
        anonymous=user.anonymous,
        expires_at=user.expires_at,
        created_at=user.created_at,
        updated_at=user.updated_at,
    ).model_dump(mode="json")


async def get_user(session: AsyncSession, tenant: Tenant, partner_id: str) -> User:
    """The user, or 404 (also for an anonymous user past their 24 hours)."""
    check_partner_id(partner_id)
    user = await repository.get_active(session, tenant, partner_id, clock.now())
    if user is None:
        raise UserNotFound()
    return user


def _apply(user: User, data: UserWrite) -> bool:
    changed = False
    for field in data.model_fields_set:
        value = getattr(data, field)
        attribute = "metadata_" if field == "metadata" else field
        if getattr(user, attribute) != value:
            setattr(user, attribute, value)
            changed = True
    return changed


async def _update(session: AsyncSession, tenant: Tenant, user: User, data: UserWrite) -> None:
    if _apply(user, data):
        user.updated_at = clock.now()
        await session.flush()
        await events.publish(session, tenant, "user.updated", {"user": public_user(user)})


async def create_or_update(
    session: AsyncSession,
    tenant: Tenant,
    partner_id: str,
    data: UserWrite,
    *,
    secret: ServerSecret | None,
) -> UserWithToken:
    """Create the user (all of first_name, last_name, email required) or update what was sent.

    `secret` None means no sign-in token (the caller lacks sso:create). Safe under concurrency:
    of several creates of one partner_id, one inserts and the others become updates.
    """
    check_partner_id(partner_id)
    if partner_id in RESERVED_PARTNER_IDS:
        raise InvalidPartnerId(
            f"'{partner_id}' is reserved; POST /api/users/anonymous creates anonymous users."
        )
    created = False
    user = await repository.get_any(session, tenant, partner_id)
    if user is None:
        missing = [f for f in REQUIRED_ON_CREATE if getattr(data, f) is None]
        if missing:
            raise ValidationFailed(
                f"Creating a user needs {', '.join(missing)}.",
                errors=[
                    {"field": f, "message": "Required when the user is created."} for f in missing
                ],
            )
        now = clock.now()
        candidate = User(
            org_id=tenant.org_id,
            environment=tenant.environment.value,
            partner_id=partner_id,
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
            metadata_=data.metadata,
            created_at=now,
            updated_at=now,
        )
        if await repository.insert(session, candidate):
            user, created = candidate, True
            await events.publish(session, tenant, "user.created", {"user": public_user(user)})
        else:  # another request created it meanwhile
            user = await repository.get_any(session, tenant, partner_id)
            assert user is not None
    if not created:
        if user.expires_at is not None and user.expires_at <= clock.now():
            raise UserNotFound()
        await _update(session, tenant, user, data)
    token = await sso.issue_token(session, tenant, user.id, secret=secret) if secret else None
    return UserWithToken(user=user, created=created, token=token)


def _daily_cap(tenant: Tenant, default_cap: int) -> int:
    cap = tenant.org.anonymous_daily_cap
    return default_cap if cap is None else cap


async def create_anonymous(
    session: AsyncSession, tenant: Tenant, *, secret: ServerSecret | None, default_cap: int
) -> UserWithToken:
    """A temporary user with a UUID4 partner_id, active for 24 hours."""
    if not tenant.org.anonymous_users_enabled:
        raise FeatureNotEnabled("Anonymous users are not enabled for this organization.")
    now = clock.now()
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cap = _daily_cap(tenant, default_cap)
    await repository.lock_org(session, tenant.org_id)
    if await repository.count_anonymous_since(session, tenant.org_id, day_start) >= cap:
        retry = int((day_start + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(
            f"This organization may create {cap} anonymous users a day (UTC); the cap is reached.",
            headers={"Retry-After": str(retry)},
        )
    user = User(
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        partner_id=str(uuid.uuid4()),
        anonymous=True,
        expires_at=now + ANONYMOUS_LIFETIME,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    await events.publish(session, tenant, "user.created", {"user": public_user(user)})
    token = await sso.issue_token(session, tenant, user.id, secret=secret) if secret else None
    return UserWithToken(user=user, created=True, token=token)


async def list_users(
    session: AsyncSession,
    tenant: Tenant,
    *,
    limit: int,
    cursor: str | None,
    email: str | None = None,
    updated_since: datetime | None = None,
    anonymous: bool | None = None,
) -> UserPage:
    after = None
    if cursor is not None:
        at, last_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(str(at)), uuid.UUID(str(last_id)))
        except ValueError:
            raise InvalidCursor() from None
        if after[0].tzinfo is None:
            after = (after[0].replace(tzinfo=UTC), after[1])
    if updated_since is not None and updated_since.tzinfo is None:
        updated_since = updated_since.replace(tzinfo=UTC)
    rows = list(
        await repository.list_page(
            session,
            tenant,
            clock.now(),
            limit=limit + 1,
            after=after,
            email=email,
            updated_since=updated_since,
            anonymous=anonymous,
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([last.updated_at.isoformat(), str(last.id)])
    return UserPage(users=rows, next_cursor=next_cursor)


async def delete_user(session: AsyncSession, tenant: Tenant, partner_id: str) -> None:
    """Erase the user with their sign-in tokens and everything other features keep about them
    (their tables cascade from users.id); user.deleted lets features with files clean up."""
    user = await get_user(session, tenant, partner_id)
    payload = {"user": public_user(user)}
    await events.publish(session, tenant, "user.deleted", payload)
    # Browser sessions name their user without a foreign key: end them here.
    await websessions.end_all_for(session, user.id)
    await repository.delete_by_id(session, user.id)
    session.expunge(user)


async def purge_expired(session: AsyncSession, *, batch: int = 500) -> int:
    """Delete every anonymous user past their 24 hours, with all their data; nobody else."""
    now = clock.now()
    total = 0
    orgs: dict[uuid.UUID, OrgSnapshot | None] = {}
    while True:
        rows = await repository.delete_expired(session, now, batch)
        for row in rows:
            org_id = row["org_id"]
            if org_id not in orgs:
                org = await session.get(Organization, org_id)
                orgs[org_id] = OrgSnapshot.of(org) if org else None
            snapshot = orgs[org_id]
            if snapshot is None:
                continue
            user = User(**{("metadata_" if k == "metadata" else k): v for k, v in row.items()})
            tenant = Tenant(snapshot, Environment(row["environment"]))
            await websessions.end_all_for(session, row["id"])
            await events.publish(session, tenant, "user.deleted", {"user": public_user(user)})
        total += len(rows)
        if len(rows) < batch:
            return total
