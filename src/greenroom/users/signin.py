"""Issuing one-time sign-in tokens (docs/partner-api.md, Single sign-on).

`issue_token` is the one way tokens are made: the user create calls and
POST /api/users/{partner_id}/sso both use it. Only the HMAC of a token is stored, under the
current server secret, with that secret's version; redemption (GET /sso/login) looks tokens up
by `token_hash_candidates`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from greenroom.core import clock
from greenroom.core.db import new_id
from greenroom.core.direct import Executor
from greenroom.core.errors import ValidationFailed
from greenroom.core.redirects import safe_path
from greenroom.core.security import candidate_digests, hmac_digest, random_hex
from greenroom.core.settings import ServerSecret
from greenroom.tenancy.context import Tenant
from greenroom.users import repository

TOKEN_BYTES = 32
MIN_LIFETIME_SECONDS = 60


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    redirect_to: str | None = None


class InvalidRedirect(ValidationFailed):
    code = "invalid_redirect"
    default_detail = (
        "redirect_to must be a path on this organization's host, such as /members/dashboard."
    )


def token_hash_candidates(server_secrets: list[ServerSecret], token: str) -> list[str]:
    """The stored hash `token` would have under each configured secret (for redemption)."""
    return list(candidate_digests(server_secrets, token).values())


async def issue_token(
    on: Executor,
    tenant: Tenant,
    user_id: uuid.UUID,
    *,
    secret: ServerSecret,
    expires_in: int | None = None,
    redirect_to: str | None = None,
    not_after: datetime | None = None,
) -> IssuedToken:
    """A new token for the user; earlier tokens stay valid until used or expired.

    `not_after` is when the user goes away (an anonymous user's `expires_at`): a token never
    outlives its user, so its lifetime is cut there."""
    lifetime = tenant.org.sso_token_ttl_seconds
    if expires_in is not None:
        if not MIN_LIFETIME_SECONDS <= expires_in <= lifetime:
            raise ValidationFailed(
                errors=[
                    {
                        "field": "expires_in",
                        "message": f"Must be between {MIN_LIFETIME_SECONDS} and {lifetime} seconds.",
                    }
                ]
            )
        lifetime = expires_in
    if redirect_to is not None and safe_path(redirect_to) is None:
        raise InvalidRedirect(
            errors=[{"field": "redirect_to", "message": "Not a path on this host."}]
        )
    token = random_hex(TOKEN_BYTES)
    expires_at = clock.now() + timedelta(seconds=lifetime)
    if not_after is not None and not_after < expires_at:
        expires_at = not_after
    await repository.insert_sign_in_token(
        on,
        {
            "id": new_id(),
            "org_id": tenant.org_id,
            "environment": tenant.environment.value,
            "user_id": user_id,
            "token_hash": hmac_digest(secret, token),
            "secret_version": secret.version,
            "redirect_to": redirect_to,
            "expires_at": expires_at,
        },
    )
    return IssuedToken(token=token, expires_at=expires_at, redirect_to=redirect_to)
