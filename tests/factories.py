"""Factories as plain functions: each commits what it makes and returns it."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import FastAPI

from greenroom.admins import service as admins
from greenroom.admins.models import Admin, AdminRole
from greenroom.keys import service as keys
from greenroom.keys.scopes import ALL_SCOPES, Scope
from greenroom.tenancy import service as orgs
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization

ADMIN_PASSWORD = "correct horse battery staple"


def unique_slug(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def make_org(
    app: FastAPI, *, slug: str | None = None, anonymous: bool = False, name: str = "XYZ Corporation"
) -> Organization:
    async with app.state.sessionmaker() as session, session.begin():
        org = await orgs.create_org(session, slug=slug or unique_slug(), name=name)
        org.anonymous_users_enabled = anonymous
    return org


async def make_admin(
    app: FastAPI,
    org: Organization,
    *,
    email: str | None = None,
    role: AdminRole = AdminRole.ADMIN,
    password: str = ADMIN_PASSWORD,
) -> Admin:
    async with app.state.sessionmaker() as session, session.begin():
        admin = await admins.create_admin(
            session,
            org,
            email=email or f"admin-{unique_slug('a')}@xyz.example.com",
            password=password,
            role=role,
            name="Pat Admin",
        )
    return admin


async def make_key(
    app: FastAPI,
    org: Organization,
    *,
    environment: str = "production",
    scopes: frozenset[Scope] = ALL_SCOPES,
    name: str = "XYZ integration",
    expires_at: datetime | None = None,
) -> str:
    """A new API key for `org`; returns the full key (as the one-time creation response would)."""
    settings = app.state.settings
    async with app.state.sessionmaker() as session, session.begin():
        created = await keys.create_key(
            session,
            org_id=org.id,
            environment=Environment(environment),
            name=name,
            scopes=scopes,
            created_by="cli",
            server_secret=settings.server_secrets[0],
            expires_at=expires_at,
        )
    return created.secret
