"""The demo organization that `greenroom serve --demo` sets up, so a newcomer can call the API at once.

Run again, it keeps the data and issues fresh credentials (the old ones cannot be shown again:
only their hashes are stored).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admins import service as admins
from greenroom.admins.passwords import generate_password
from greenroom.content.loader import get_pack
from greenroom.core.settings import Settings
from greenroom.practice.demo import LEVELS, seed_activity
from greenroom.tenancy import repository as orgs_repo
from greenroom.tenancy import service as orgs
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users.models import User

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin@demo.example.com"
# partner_id, first name, last name, how far they are (practice/demo.py LEVELS)
DEMO_USERS = (
    ("abc123def", "Alex", "Rivera", "busy"),
    ("demo-jordan", "Jordan", "Lee", "new"),
    ("demo-priya", "Priya", "Shah", "nearly-done"),
    ("demo-sam", "Sam", "Okafor", "started"),
)


@dataclass
class DemoInfo:
    org: str
    admin_email: str
    admin_password: str
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
    await _seed_users(session, settings, org)
    origin = settings.org_origin(DEMO_SLUG)
    info = DemoInfo(org=DEMO_SLUG, admin_email=DEMO_ADMIN, admin_password=password)
    info.lines += [
        f"Demo organization: {origin}",
        f"  admin log-in:   {origin}/login/admin",
        f"  admin email:    {DEMO_ADMIN}",
        f"  admin password: {password}   (shown once; a new one is set on every --demo run)",
        "  users (partner_id): " + ", ".join(f"{p} ({level})" for p, _, _, level in DEMO_USERS),
    ]
    return info


async def _seed_users(session: AsyncSession, settings: Settings, org: Organization) -> None:
    """Production users with varied practice activity (kept as they are on a re-run)."""
    await session.flush()
    tenant = Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)
    pack = get_pack(settings.content_dir)
    for partner_id, first, last, level in DEMO_USERS:
        user = (
            await session.execute(
                select(User).where(
                    User.org_id == org.id,
                    User.environment == tenant.environment.value,
                    User.partner_id == partner_id,
                )
            )
        ).scalar_one_or_none()
        if user is None:
            user = User(
                org_id=org.id,
                environment=tenant.environment.value,
                partner_id=partner_id,
                email=f"{first.lower()}.{last.lower()}@demo.example.com",
                first_name=first,
                last_name=last,
            )
            session.add(user)
            await session.flush()
        await seed_activity(session, tenant, user, pack, LEVELS[level])
