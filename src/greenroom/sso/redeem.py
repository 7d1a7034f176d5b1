"""Redeeming a sign-in token (docs/partner-api.md, Single sign-on): once, atomically, for its org
and environment.

Issuing lives in `users/signin.py`; this is the other half, used by `GET /sso/login`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.core import clock
from greenroom.core.events import publish
from greenroom.core.redirects import safe_path
from greenroom.core.security import candidate_digests, constant_time_equals
from greenroom.core.settings import Settings
from greenroom.sso import repository
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.users import service as users
from greenroom.users.models import User

TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")
DASHBOARD = "/members/dashboard"


class RedemptionFailed(Exception):
    """The token is unknown, used, expired, foreign, or its user is gone."""


@dataclass(frozen=True, slots=True)
class Redeemed:
    user: User
    redirect_to: str


async def redeem(
    session: AsyncSession,
    settings: Settings,
    tenant: Tenant,
    token: str,
    *,
    redirect_to: str | None = None,
) -> Redeemed:
    """Mark the token used and return its user, or raise RedemptionFailed.

    The conditional UPDATE is the whole check: of two concurrent redemptions only one finds
    `used_at IS NULL` (PostgreSQL re-checks the row after the other's lock; SQLite serialises
    writers), and a rowcount of 0 means unknown, used, expired or another org's/environment's.
    """
    token = token.strip().lower()
    if not TOKEN_RE.fullmatch(token):
        raise RedemptionFailed()
    digests = candidate_digests(settings.server_secrets, token)
    now = clock.now()
    if not await repository.spend(session, tenant, list(digests.values()), now):
        raise RedemptionFailed()
    row = await repository.by_digests(session, list(digests.values()))
    expected = digests.get(row.secret_version)
    if expected is None or not constant_time_equals(expected, row.token_hash):
        raise RedemptionFailed()
    user = await users.get_user_by_id(session, tenant, row.user_id)
    if user is None:
        raise RedemptionFailed()
    user.last_activity_at = now
    target = safe_path(redirect_to or "") or safe_path(row.redirect_to or "") or DASHBOARD
    await publish(session, tenant, "sso.redeemed", {"user": users.public_user(user)})
    return Redeemed(user, target)


def allowed_return_url(org: OrgSnapshot, candidate: str | None) -> str | None:
    """`candidate` when it may be where log-out goes, else the org's own return URL.

    By default, as Big Interview: any `https` URL, and `http` only on this machine (localhost,
    `*.localhost`, loopback addresses). A `return_url` only comes along with a valid sign-in
    token, which only the partner can make, so this is no open redirect. An org that listed
    allowed origins gets only those (and its own return URL's)."""
    if not candidate or len(candidate) > 2048:
        return org.sso_return_url
    origin = _origin(candidate)
    if origin is None:
        return org.sso_return_url
    if org.sso_allowed_return_origins:
        origins = {_origin(o) for o in org.sso_allowed_return_origins}
        if org.sso_return_url:
            origins.add(_origin(org.sso_return_url))
        return candidate if origin in origins else org.sso_return_url
    if origin.startswith("https://") or _is_local(urlsplit(candidate.strip()).hostname or ""):
        return candidate
    return org.sso_return_url


def _is_local(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if any(ord(c) < 0x21 for c in url) or "\\" in url:
        return None
    try:
        number = parts.port
    except ValueError:  # a port out of range or not a number: no origin at all
        return None
    port = f":{number}" if number else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"
