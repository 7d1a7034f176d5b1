"""The scopes a key can hold (docs/partner-api.md, Scopes). A new key gets all of them unless
narrowed."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    USERS_DELETE = "users:delete"
    PROGRESS_READ = "progress:read"
    SSO_CREATE = "sso:create"
    ANONYMOUS_CREATE = "anonymous:create"
    WEBHOOKS_MANAGE = "webhooks:manage"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)
# What an admin with the `viewer` role may do through a bearer token.
READ_SCOPES: frozenset[Scope] = frozenset({Scope.USERS_READ, Scope.PROGRESS_READ})


def parse_scopes(values: list[str] | None) -> frozenset[Scope]:
    """Scope names to enum members; an unknown name raises ValueError naming it."""
    if not values:
        return ALL_SCOPES
    out = set()
    for value in values:
        try:
            out.add(Scope(value.strip()))
        except ValueError:
            allowed = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {value!r} (one of: {allowed})") from None
    return frozenset(out)
