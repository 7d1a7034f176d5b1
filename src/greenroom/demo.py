"""The demo organization that `greenroom serve --demo` sets up, so a newcomer can call the API at once.

Run again, it keeps the data and issues fresh credentials (the old ones cannot be shown again:
only their hashes are stored).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admins import service as admins
from greenroom.admins.passwords import generate_password
from greenroom.content.loader import get_pack
from greenroom.core.settings import Settings
from greenroom.keys import service as keys
from greenroom.practice.demo import LEVELS, seed_activity
from greenroom.tenancy import repository as orgs_repo
from greenroom.tenancy import service as orgs
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.users import service as users
from greenroom.users.schemas import UserWrite

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin@demo.example.com"
DEMO_KEY_NAME = "Demo key"
# (partner_id, first name, last name): the first is the seeds' example user.
DEMO_USERS = (
    ("abc123def", "Jane", "Doe"),
    ("demo-user-2", "Sam", "Rivera"),
    ("demo-user-3", "Priya", "Shah"),
)
# How far each demo user is with practice (practice/demo.py LEVELS), for varied progress.
DEMO_LEVELS = {"abc123def": "busy", "demo-user-2": "started", "demo-user-3": "nearly-done"}


@dataclass
class DemoInfo:
    org: str
    admin_email: str
    admin_password: str
    keys: dict[str, str] = field(default_factory=dict)  # environment -> full key
    lines: list[str] = field(default_factory=list)


async def seed_demo(session: AsyncSession, settings: Settings) -> DemoInfo:
    org = await orgs_repo.get_by_slug(session, DEMO_SLUG)
    if org is None:
        org = await orgs.create_org(session, slug=DEMO_SLUG, name="Demo Organization")
        org.anonymous_users_enabled = True
    password = generate_password()
    admin = await admins.get_by_email(session, org, DEMO_ADMIN)
    if admin is None:
        await admins.create_admin(
            session, org, email=DEMO_ADMIN, password=password, name="Demo Admin"
        )
    else:
        await admins.set_password(session, admin, password)
    await session.flush()
    pack = get_pack(settings.content_dir)
    for environment in Environment:
        tenant = Tenant(OrgSnapshot.of(org), environment)
        for partner_id, first, last in DEMO_USERS:
            # Through the service, so events fire like any other change; re-runs are no-ops.
            made = await users.create_or_update(
                session,
                tenant,
                partner_id,
                UserWrite(
                    first_name=first,
                    last_name=last,
                    email=f"{first.lower()}.{last.lower()}@demo.example.com",
                ),
                secret=None,
            )
            await seed_activity(session, tenant, made.user, pack, LEVELS[DEMO_LEVELS[partner_id]])
    info = DemoInfo(org=DEMO_SLUG, admin_email=DEMO_ADMIN, admin_password=password)
    # Fresh keys on every run; the previous run's demo keys can never be shown again, so they go.
    for old in await keys.list_keys(session, org.id):
        if old.name == DEMO_KEY_NAME and old.revoked_at is None:
            await keys.revoke_key(session, org.id, old.id, actor="cli")
    for environment in Environment:
        created = await keys.create_key(
            session,
            org_id=org.id,
            environment=environment,
            name=DEMO_KEY_NAME,
            created_by="cli",
            server_secret=settings.server_secrets[0],
        )
        info.keys[environment.value] = created.secret
    origin = settings.org_origin(DEMO_SLUG)
    sandbox = settings.org_origin(DEMO_SLUG, "sandbox")
    info.lines += [
        f"Demo organization: {origin}",
        f"  admin log-in:   {origin}/login/admin",
        f"  admin email:    {DEMO_ADMIN}",
        f"  admin password: {password}   (shown once; a new one is set on every --demo run)",
        f"  users:          {', '.join(p for p, _, _ in DEMO_USERS)} (production and sandbox,"
        " with practice progress)",
        f"  production key: {info.keys['production']}",
        f"  sandbox key:    {info.keys['sandbox']}   (keys are shown once; new ones every run)",
        "",
        "Try it:",
        f"  curl -H 'Authorization: {info.keys['production']}' {origin}/api/auth/check",
        f"  curl -H 'X-API-Key: {info.keys['sandbox']}' {sandbox}/api/auth/check",
        f"  curl -X POST -H 'X-API-Key: {info.keys['production']}' "
        f"-H 'Content-Type: application/json' "
        f"""-d '{{"email": "{DEMO_ADMIN}", "password": "{password}"}}' {origin}/api/auth/token""",
    ]
    return info
