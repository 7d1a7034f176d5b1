"""The rules about partner users. Every change to a user goes through here and publishes
`user.created`, `user.updated` or `user.deleted` inside the same transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import configure_mappers, instrumentation

from greenroom.core import clock, events
from greenroom.core.db import new_id
from greenroom.core.direct import Direct, Executor, fields
from greenroom.core.errors import FeatureNotEnabled, NotFound, RateLimited, ValidationFailed
from greenroom.core.pagination import decode_position, next_page, since_or_after
from greenroom.core.responses import iso
from greenroom.core.settings import ServerSecret
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import repository
from greenroom.users import signin as sso
from greenroom.users.models import User
from greenroom.users.schemas import UserWrite
from greenroom.websessions import service as websessions

# ASCII only, written out: `\w` and `\d` would take Unicode letters and digits.
PARTNER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
RESERVED_PARTNER_IDS = frozenset({"anonymous"})
ANONYMOUS_LIFETIME = timedelta(hours=24)
REQUIRED_ON_CREATE = ("first_name", "last_name", "email")
_USER_CLASS = instrumentation.manager_of_class(User)


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
    # `public_user(user)`, made once for the event and the answer.
    public: dict[str, Any]
    # False when the call wrote nothing: an update whose values the user already had (the
    # import reports such rows as "unchanged").
    changed: bool = True


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


def public_user(user: User | Mapping[str, Any]) -> dict[str, Any]:
    """The user object of docs/partner-api.md, Users (`schemas.UserOut`), JSON-ready (also the payload of
    user.* events), from a `User` or a row of `repository.PUBLIC_COLUMNS`."""
    get = fields(user)
    return {
        "partner_id": get("partner_id"),
        "email": get("email"),
        "first_name": get("first_name"),
        "last_name": get("last_name"),
        "metadata": get("metadata_"),
        "anonymous": get("anonymous"),
        "expires_at": iso(get("expires_at")),
        "created_at": iso(get("created_at")),
        "updated_at": iso(get("updated_at")),
    }


def _detached_user(row: Mapping[str, Any]) -> User:
    """A `User` object (not in any session) from a row of the table or of `PUBLIC_COLUMNS`.

    Filled as a load from the database fills one (its attributes set, no change history): 1 us
    where the constructor takes 15, on every create. Only read: never add it to a session (a
    caller with a session gets the loaded object instead, `_attached`)."""
    if not User.__mapper__.configured:  # the first use in a process that has loaded nothing
        configure_mappers()
    user: User = _USER_CLASS.new_instance()
    user.__dict__.update({("metadata_" if k == "metadata" else k): v for k, v in row.items()})
    return user


async def kept_user_ref(
    on: Executor, tenant: Tenant, partner_id: str
) -> tuple[uuid.UUID, datetime | None]:
    """The active user's id and `expires_at` (anonymous users), the row kept from deletion
    until the transaction ends (for a row that refers to it); 404 as `get_user`."""
    row = await repository.active_id_kept(on, tenant, partner_id, clock.now())
    if row is None:
        raise UserNotFound()
    return row["id"], row["expires_at"]


async def read_user(direct: Direct, tenant: Tenant, partner_id: str) -> dict[str, Any]:
    """The public user object, read without a session; 404 as `get_user`."""
    row = await repository.read_active(direct, tenant, partner_id, clock.now())
    if row is None:
        raise UserNotFound()
    return public_user(row)


async def get_user(
    session: AsyncSession, tenant: Tenant, partner_id: str, *, lock: bool = False
) -> User:
    """The user, or 404 (also for an anonymous user past their 24 hours); `lock` keeps the
    row for the transaction."""
    check_partner_id(partner_id)
    user = await repository.get_active(session, tenant, partner_id, clock.now(), lock=lock)
    if user is None:
        raise UserNotFound()
    return user


async def get_user_by_id(session: AsyncSession, tenant: Tenant, user_id: uuid.UUID) -> User | None:
    """The tenant's active user with this id (a signed-in member, a redeemed token's), or None."""
    return await repository.get_active_by_id(session, tenant, user_id, clock.now())


def _changes(user: Mapping[str, Any], data: UserWrite) -> dict[str, Any]:
    """What `data` changes in the user (a row of `repository.PUBLIC_COLUMNS`), by column name."""
    changes = {}
    for field in data.model_fields_set:
        value = getattr(data, field)
        if user["metadata_" if field == "metadata" else field] != value:
            changes[field] = value
    return changes


async def _attached(on: Executor, user: User) -> User:
    """For callers with an ORM session (the demo, imports), the user as a loaded object they can
    go on changing; direct transactions get the detached one."""
    if isinstance(on, AsyncSession):
        loaded = await on.get(User, user.id, populate_existing=True)
        assert loaded is not None
        return loaded
    return user


async def _token(
    on: Executor, tenant: Tenant, user: User, secret: ServerSecret | None
) -> sso.IssuedToken | None:
    """The sign-in token of a create call (none without `secret`), never outliving the user."""
    if secret is None:
        return None
    return await sso.issue_token(on, tenant, user.id, secret=secret, not_after=user.expires_at)


async def create_or_update(
    on: Executor,
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
    now = clock.now()
    missing = [f for f in REQUIRED_ON_CREATE if getattr(data, f) is None]
    values = {
        "id": new_id(),
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "partner_id": partner_id,
        "email": data.email,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "metadata": data.metadata,
        "anonymous": False,
        "expires_at": None,
        "created_at": now,
        "updated_at": now,
    }
    # Try the insert first: creating is the common case of this call, and one INSERT ... ON
    # CONFLICT tells a new partner_id from a known one (also under concurrent creates). A known
    # one is then read with its row locked; should a delete have taken it meanwhile (it waits
    # for that delete), the insert is tried again.
    for _attempt in range(3):
        if not missing and await repository.insert_new(on, values):
            user = _detached_user(values)
            public = public_user(user)
            await events.publish(on, tenant, "user.created", {"user": public}, user_id=user.id)
            token = await _token(on, tenant, user, secret)
            return UserWithToken(
                user=await _attached(on, user), created=True, token=token, public=public
            )
        found = await repository.read_any(on, tenant, partner_id)
        if found is not None or missing:
            break
    if found is None:
        raise ValidationFailed(
            f"Creating a user needs {', '.join(missing)}.",
            errors=[{"field": f, "message": "Required when the user is created."} for f in missing],
        )
    if found["expires_at"] is not None and found["expires_at"] <= now:
        raise UserNotFound()
    changes = _changes(found, data)
    user = _detached_user(found)
    if changes:
        changes["updated_at"] = now
        await repository.update(on, user.id, changes)
        user = _detached_user({**found, **changes})
    public = public_user(user)
    if changes:
        await events.publish(on, tenant, "user.updated", {"user": public}, user_id=user.id)
    token = await _token(on, tenant, user, secret)
    return UserWithToken(
        user=await _attached(on, user),
        created=False,
        token=token,
        public=public,
        changed=bool(changes),
    )


def _daily_cap(tenant: Tenant, default_cap: int) -> int:
    cap = tenant.org.anonymous_daily_cap
    return default_cap if cap is None else cap


async def create_anonymous(
    on: Executor, tenant: Tenant, *, secret: ServerSecret | None, default_cap: int
) -> UserWithToken:
    """A temporary user with a UUID4 partner_id, active for 24 hours."""
    if not tenant.org.anonymous_users_enabled:
        raise FeatureNotEnabled("Anonymous users are not enabled for this organization.")
    now = clock.now()
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cap = _daily_cap(tenant, default_cap)
    await repository.lock_org_for_counting(on, tenant.org_id)
    if await repository.count_anonymous_since(on, tenant.org_id, day_start) >= cap:
        retry = int((day_start + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(
            f"This organization may create {cap} anonymous users a day (UTC); the cap is reached.",
            headers={"Retry-After": str(retry)},
        )
    values = {
        "id": new_id(),
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "partner_id": str(uuid.uuid4()),
        "email": None,
        "first_name": None,
        "last_name": None,
        "metadata": None,
        "anonymous": True,
        "expires_at": now + ANONYMOUS_LIFETIME,
        "created_at": now,
        "updated_at": now,
    }
    inserted = await repository.insert_new(on, values)
    assert inserted  # a fresh UUID
    user = _detached_user(values)
    public = public_user(user)
    await events.publish(on, tenant, "user.created", {"user": public}, user_id=user.id)
    token = await _token(on, tenant, user, secret)
    return UserWithToken(user=user, created=True, token=token, public=public)


async def read_users(
    direct: Direct,
    tenant: Tenant,
    *,
    limit: int,
    cursor: str | None,
    email: str | None = None,
    updated_since: datetime | None = None,
    anonymous: bool | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of public user objects, least recently changed first, and the next cursor."""
    after = decode_position(cursor) if cursor is not None else None
    updated_since, after = since_or_after(updated_since, after)
    rows = await repository.read_page(
        direct,
        tenant,
        clock.now(),
        limit=limit + 1,
        after=after,
        email=email,
        updated_since=updated_since,
        anonymous=anonymous,
    )
    page, next_cursor = next_page(rows, limit, lambda row: (row["updated_at"], row["id"]))
    return [public_user(row) for row in page], next_cursor


async def erase(session: AsyncSession, tenant: Tenant, user: User) -> None:
    """The one way a user goes (API delete, purge, sandbox reset): `user.deleted` is published
    in the erasing transaction (webhooks; recordings are deleted once it commits), the user's
    browser sessions end, and the row goes with everything that cascades from it (sign-in
    tokens, progress, interviews, answers, comments, the admin area's read model)."""
    await events.publish(session, tenant, "user.deleted", {"user": public_user(user)})
    # Browser sessions name their user without a foreign key: end them here.
    await websessions.end_all_for(session, user.id)
    await repository.delete_by_id(session, user.id)
    if user in session:
        session.expunge(user)


async def delete_user(session: AsyncSession, tenant: Tenant, partner_id: str) -> None:
    """Erase the user `partner_id` (404 when there is none, or no longer is)."""
    # Locked: of two deletes at once, one erases and announces, the other finds no user (404).
    await erase(session, tenant, await get_user(session, tenant, partner_id, lock=True))


async def purge_expired(session: AsyncSession, *, batch: int = 200) -> int:
    """Erase up to `batch` anonymous users past their 24 hours; nobody else. Returns how many
    went; call again (in a new transaction) until it is under `batch`. Several processes may
    purge at once: each takes rows the others have not locked."""
    orgs: dict[uuid.UUID, OrgSnapshot | None] = {}
    expired = await repository.expired_for_erasure(session, clock.now(), batch)
    for user in expired:
        if user.org_id not in orgs:
            org = await session.get(Organization, user.org_id)
            orgs[user.org_id] = OrgSnapshot.of(org) if org else None
        snapshot = orgs[user.org_id]
        if snapshot is not None:
            await erase(session, Tenant(snapshot, Environment(user.environment)), user)
    return len(expired)
