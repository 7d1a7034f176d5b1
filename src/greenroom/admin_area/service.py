"""Rules that only the admin area has: signing in, and managing the org's admins.

Keys, users, audit entries and question sets go through their own features' services; this module
holds what has no other home: log-in (with its throttle), adding admins, changing roles and removing
admins without ever leaving the org with none.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from greenroom.admins import repository as admins_repository
from greenroom.admins import service as admins
from greenroom.admins.models import Admin, AdminRole
from greenroom.admins.passwords import MIN_PASSWORD_LENGTH, generate_password, verify_password
from greenroom.audit import service as audit
from greenroom.audit.service import AuditEventType
from greenroom.auth.ratelimit import LoginThrottle
from greenroom.core import clock
from greenroom.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from greenroom.core.writebehind import WriteBehind
from greenroom.practice import retention
from greenroom.tenancy import service as orgs
from greenroom.tenancy.context import Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import repository as users_repository
from greenroom.users import service as users
from greenroom.users.models import User
from greenroom.websessions import service as websessions

BAD_CREDENTIALS = "Wrong email or password."


@dataclass(slots=True)
class LoginOutcome:
    admin: Admin | None
    status: int = 200
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


async def _org(session: AsyncSession, tenant: Tenant) -> Organization:
    org = await session.get(Organization, tenant.org_id)
    if org is None:  # deleted between the host look-up and now
        raise NotFound(code="unknown_host")
    return org


async def log_in(
    reader: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    *,
    email: str,
    password: str,
    client: str,
    throttle: LoginThrottle,
    failures: WriteBehind[uuid.UUID, dict[str, Any]],
) -> LoginOutcome:
    """Checks the credentials; on success the caller records it (`logged_in`) and starts the
    browser session.

    The throttle is the one `POST /api/auth/token` uses (5 attempts in 15 minutes per account or
    per client address), so failures in either place count together. The attempt is reserved
    before anything is verified: concurrent guesses cannot get past the limit. Nothing here
    writes: the account is read in a read-only session, the password checked in a thread, and a
    failure's audit entry goes to `failures` (written behind), so a burst of guesses neither
    stalls the event loop nor takes the database's write lock once per guess.
    """
    email = email.strip().lower()[:320]
    try:
        attempt = await throttle.reserve(tenant.org_id, email, client)
    except RateLimited as exc:
        retry = exc.headers.get("Retry-After", "900")
        minutes = max(1, -(-int(retry) // 60))
        message = (
            f"Too many failed log-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
        return LoginOutcome(None, 429, message, {"Retry-After": retry})
    try:
        async with reader() as session:
            org = await _org(session, tenant)
            admin = await admins.get_by_email(session, org, email) if email else None
    except BaseException:
        await throttle.release(attempt)  # not evaluated (the database failed): does not count
        raise
    # Verified even for an unknown email, so timing does not tell which emails exist.
    ok = await verify_password(admin.password_hash if admin is not None else None, password)
    if admin is None or not ok:
        failures.note(
            uuid.uuid4(),
            audit.later(
                org_id=tenant.org_id,
                environment=tenant.environment.value,
                event=AuditEventType.LOGIN_FAILED,
                actor=f"admin:{email}",
                admin_id=admin.id if admin else None,
                client_address=client,
                details={"via": "admin area"},
            ),
        )
        return LoginOutcome(None, 401, BAD_CREDENTIALS)  # the reservation stays: a failure
    await throttle.succeeded(attempt)
    return LoginOutcome(admin)


async def logged_in(session: AsyncSession, tenant: Tenant, admin: Admin, *, client: str) -> None:
    """A successful log-in, in the caller's (read-write) transaction: audited, and the admin's
    last log-in time."""
    await audit.record(
        session,
        org_id=tenant.org_id,
        environment=tenant.environment.value,
        event=AuditEventType.LOGIN_SUCCEEDED,
        actor=f"admin:{admin.email}",
        admin_id=admin.id,
        client_address=client,
        details={"via": "admin area"},
    )
    await admins_repository.record_log_in(session, admin.id, clock.now())


async def get_admin(session: AsyncSession, tenant: Tenant, admin_id: uuid.UUID) -> Admin:
    admin = await session.get(Admin, admin_id)
    if admin is None or admin.org_id != tenant.org_id:
        raise NotFound("No such admin.", code="admin_not_found")
    return admin


async def list_admins(session: AsyncSession, tenant: Tenant) -> Sequence[Admin]:
    return await admins.list_admins(session, await _org(session, tenant))


def _role(value: str) -> AdminRole:
    try:
        return AdminRole(value)
    except ValueError:
        raise ValidationFailed(
            "The role is admin, viewer or coach.",
            errors=[{"field": "role", "message": "admin, viewer or coach"}],
        ) from None


async def add_admin(
    session: AsyncSession, tenant: Tenant, *, email: str, name: str, role: str
) -> tuple[Admin, str]:
    """A new admin with a generated one-time password (returned once, shown once): their first
    log-in makes them choose their own."""
    password = generate_password()
    admin = await admins.create_admin(
        session,
        await _org(session, tenant),
        email=email,
        password=password,
        role=_role(role),
        name=name,
    )
    admin.must_change_password = True
    await session.flush()
    return admin, password


async def reset_password(
    session: AsyncSession, tenant: Tenant, admin_id: uuid.UUID, *, by: Admin
) -> tuple[Admin, str]:
    """Another admin's new one-time password (shown once): their sessions end now, and their
    next log-in makes them choose their own. One's own password is changed, not reset."""
    target = await get_admin(session, tenant, admin_id)
    if target.id == by.id:
        raise Conflict(
            "Change your own password on your account page instead.", code="reset_own_password"
        )
    password = generate_password()
    await admins.set_password(session, target, password)
    target.must_change_password = True
    await websessions.end_all_for(session, target.id)
    await session.flush()
    return target, password


async def change_own_password(
    session: AsyncSession,
    admin: Admin,
    *,
    current: str,
    new: str,
    confirm: str,
    keep_session: uuid.UUID,
) -> None:
    """The admin's own new password. The current one is asked for, except right after a log-in
    with a one-time password (the log-in just checked it). Every other session of theirs ends."""
    errors = []
    if not admin.must_change_password and not await verify_password(admin.password_hash, current):
        errors.append({"field": "current", "message": "This is not your current password."})
    if len(new) < MIN_PASSWORD_LENGTH:
        errors.append({"field": "new", "message": f"At least {MIN_PASSWORD_LENGTH} characters."})
    elif new != confirm:
        errors.append({"field": "confirm", "message": "The two new passwords differ."})
    elif await verify_password(admin.password_hash, new):
        errors.append({"field": "new", "message": "Choose a password you have not used here."})
    if errors:
        raise ValidationFailed("The password was not changed.", errors=errors)
    await admins.set_password(session, admin, new)
    admin.must_change_password = False
    await websessions.end_all_for(session, admin.id, except_id=keep_session)
    await session.flush()


async def _count_full_admins(session: AsyncSession, tenant: Tenant) -> int:
    return await admins_repository.count_with_role(session, tenant.org_id, AdminRole.ADMIN)


async def change_role(
    session: AsyncSession, tenant: Tenant, admin_id: uuid.UUID, role: str
) -> Admin:
    """Never leaves the org without an admin who can manage it."""
    target = await get_admin(session, tenant, admin_id)
    new_role = _role(role)
    if (
        target.role == AdminRole.ADMIN.value
        and new_role is not AdminRole.ADMIN
        and await _count_full_admins(session, tenant) <= 1
    ):
        raise Conflict("The org must keep at least one admin.", code="last_admin")
    target.role = new_role.value
    await session.flush()
    return target


async def remove_admin(session: AsyncSession, tenant: Tenant, admin_id: uuid.UUID) -> Admin:
    """Removes an admin and ends their sessions; never the last one with the admin role."""
    target = await get_admin(session, tenant, admin_id)
    if target.role == AdminRole.ADMIN.value and await _count_full_admins(session, tenant) <= 1:
        raise Conflict("The org must keep at least one admin.", code="last_admin")
    await websessions.end_all_for(session, target.id)
    await session.delete(target)
    await session.flush()
    return target


# Users deleted per transaction by the sandbox reset: each goes with all its data, and on SQLite
# the API's writes wait while a transaction holds the write lock.
RESET_BATCH = 25


async def reset_sandbox(sessions: async_sessionmaker[AsyncSession], tenant: Tenant) -> int:
    """Deletes every sandbox user of the org with all their data (through the users service, so
    that `user.deleted` goes out and features with files clean up); production is untouched.

    Long work: it takes the session maker, not a session, and deletes `RESET_BATCH` users per
    transaction, letting other tasks (API requests) in between. Stopped half-way (the process
    ended), it leaves the rest for the next reset."""
    sandbox = Tenant(tenant.org, Environment.SANDBOX, tenant.host)
    batch = RESET_BATCH
    deleted = 0
    while True:
        async with sessions() as session, session.begin():
            found = await users_repository.ids_in_tenant(session, sandbox, limit=batch)
            if not found:
                return deleted
            for user_id in found:
                # Expired anonymous users too: gone for the API already, not yet purged.
                user = await session.get(User, user_id)
                if user is not None:
                    await users.erase(session, sandbox, user)
                deleted += 1
        await asyncio.sleep(0)


async def count_users(session: AsyncSession, tenant: Tenant, environment: Environment) -> int:
    return await users_repository.count_in_tenant(session, Tenant(tenant.org, environment))


# Events the admin area records besides the keys' and log-ins' (AuditEventType).
ADMIN_ADDED = "admin.added"
ADMIN_ROLE_CHANGED = "admin.role_changed"
ADMIN_REMOVED = "admin.removed"
ADMIN_PASSWORD_RESET = "admin.password_reset"  # noqa: S105 (an event name)
ADMIN_PASSWORD_CHANGED = "admin.password_changed"  # noqa: S105 (an event name)
ADMIN_SIGNED_OUT_EVERYWHERE = "admin.signed_out_everywhere"
USERS_IMPORTED = "users.imported"
SANDBOX_RESET = "sandbox.reset"
# A student's data export: started, and its ZIP downloaded.
USER_EXPORTED = "user.exported"
USER_EXPORT_DOWNLOADED = "user.export_downloaded"
# Coaching: every playback or download of a recording by an admin or coach, every comment.
RECORDING_PLAYED = "recording.played"
RECORDING_DOWNLOADED = "recording.downloaded"
ANSWER_COMMENTED = "answer.commented"
# Question sets and categories.
QUESTION_SET_CREATED = "question_set.created"
QUESTION_SET_UPDATED = "question_set.updated"
QUESTION_SET_DELETED = "question_set.deleted"
QUESTION_SET_HIDDEN = "question_set.hidden"
QUESTION_SET_SHOWN = "question_set.shown"
QUESTION_CATEGORY_ADDED = "question_category.added"
QUESTION_CATEGORY_REMOVED = "question_category.removed"
# Webhook endpoints changed in the admin area.
WEBHOOK_CREATED = "webhook.created"
WEBHOOK_ENABLED = "webhook.enabled"
WEBHOOK_DISABLED = "webhook.disabled"
WEBHOOK_DELETED = "webhook.deleted"
WEBHOOK_RESENT = "webhook.resent"
WEBHOOK_KEY_ROTATED = "webhook.verification_key_rotated"
# Privacy: the org's retention of recordings changed (admin area or CLI), and each round of the
# sweep that removed recordings (practice/retention.py, actor "system").
RETENTION_CHANGED = orgs.RETENTION_CHANGED
RECORDINGS_EXPIRED = retention.EXPIRED
ADMIN_EVENTS = (
    ADMIN_ADDED, ADMIN_ROLE_CHANGED, ADMIN_REMOVED, ADMIN_PASSWORD_RESET, ADMIN_PASSWORD_CHANGED,
    ADMIN_SIGNED_OUT_EVERYWHERE, USERS_IMPORTED, SANDBOX_RESET, RECORDING_PLAYED,
    RECORDING_DOWNLOADED, ANSWER_COMMENTED, QUESTION_SET_CREATED, QUESTION_SET_UPDATED,
    QUESTION_SET_DELETED, QUESTION_SET_HIDDEN, QUESTION_SET_SHOWN, QUESTION_CATEGORY_ADDED,
    QUESTION_CATEGORY_REMOVED, WEBHOOK_CREATED, WEBHOOK_ENABLED, WEBHOOK_DISABLED, WEBHOOK_DELETED,
    WEBHOOK_RESENT, WEBHOOK_KEY_ROTATED, RETENTION_CHANGED, RECORDINGS_EXPIRED, USER_EXPORTED,
    USER_EXPORT_DOWNLOADED,
)  # fmt: skip


async def record(
    session: AsyncSession,
    tenant: Tenant,
    by: Admin,
    event: str,
    *,
    client: str | None,
    environment: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An audit event done by `by` in the admin area."""
    await audit.record(
        session,
        org_id=tenant.org_id,
        environment=environment,
        event=event,
        actor=f"admin:{by.email}",
        admin_id=by.id,
        client_address=client,
        details=details,
    )


class RecentPlaybacks:
    """The playbacks this process recorded lately, by (admin, answer), checked and marked with
    no `await` in between: two requests of one player that overlap (a retry while the first is
    still being written) are one playback even before the first one's audit row is committed.
    The audit log itself (`played_lately`) is the check across processes and restarts."""

    def __init__(self, within: timedelta, *, keep: int = 10_000) -> None:
        self.within = within
        self.keep = keep
        self._seen: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}

    def claim(self, admin_id: uuid.UUID, answer_id: uuid.UUID) -> bool:
        """True (and marked) unless this admin played this answer less than `within` ago."""
        now = clock.now()
        key = (admin_id, answer_id)
        last = self._seen.get(key)
        if last is not None and now - last < self.within:
            return False
        if len(self._seen) >= self.keep:  # bounded: the oldest half goes
            for old in list(self._seen)[: self.keep // 2]:
                del self._seen[old]
        self._seen.pop(key, None)
        self._seen[key] = now
        return True


async def played_lately(
    session: AsyncSession, tenant: Tenant, by: Admin, answer_id: uuid.UUID, within: timedelta
) -> bool:
    """Whether `by` played this answer's recording less than `within` ago (the same playback:
    a player asks again from the start when it reloads or retries)."""
    recent = await audit.list_events(
        session,
        tenant.org_id,
        event=RECORDING_PLAYED,
        admin_id=by.id,
        since=clock.now() - within,
        limit=50,
    )
    return any(e.details.get("answer_id") == str(answer_id) for e in recent.events)
