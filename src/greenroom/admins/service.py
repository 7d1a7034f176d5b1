"""Org admins: created by the operator (CLI) or by another admin (admin area)."""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admins import repository
from greenroom.admins.models import Admin, AdminRole
from greenroom.admins.passwords import MIN_PASSWORD_LENGTH, hash_password
from greenroom.core.errors import Conflict, ValidationFailed
from greenroom.core.text import check_name
from greenroom.tenancy.models import Organization


def normalise_email(email: str) -> str:
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(
            f"Invalid email address: {exc}", errors=[{"field": "email", "message": str(exc)}]
        ) from exc
    return result.normalized.lower()


async def create_admin(
    session: AsyncSession,
    org: Organization,
    *,
    email: str,
    password: str,
    role: AdminRole = AdminRole.ADMIN,
    name: str = "",
) -> Admin:
    email = normalise_email(email)
    check_name(name, "name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"A password has at least {MIN_PASSWORD_LENGTH} characters.",
            errors=[{"field": "password", "message": "too short"}],
        )
    if await get_by_email(session, org, email) is not None:
        raise Conflict(f"{email} is already an admin of {org.slug}.", code="admin_exists")
    admin = Admin(
        org_id=org.id,
        email=email,
        role=role.value,
        name=name.strip(),
        password_hash=await hash_password(password),
    )
    session.add(admin)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{email} is already an admin of {org.slug}.", code="admin_exists") from exc
    return admin


async def get_by_email(session: AsyncSession, org: Organization, email: str) -> Admin | None:
    return await repository.by_email(session, org.id, email.strip().lower())


async def list_admins(session: AsyncSession, org: Organization) -> Sequence[Admin]:
    return await repository.list_for_org(session, org.id)


async def set_password(session: AsyncSession, admin: Admin, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
    admin.password_hash = await hash_password(password)
    await session.flush()
